// Running a server file as a child process: wait until it listens, capture its
// output (capped), and stop it together with anything it started. Used by
// `npm run solution`, the checker and the tests. Works on Linux, macOS and Windows.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './proto.ts';
import { LISTENING_PATTERN } from './server-runtime.ts';

const IS_WINDOWS = process.platform === 'win32';
const MAX_CAPTURED_LINES = 500;
const MAX_LINE_LENGTH = 2000;

export interface ServerProcess {
  child: ChildProcess;
  host: string;
  port: number;
  /** "host:port" to give a client. */
  address: string;
  /** Output lines so far (stdout and stderr), capped at MAX_CAPTURED_LINES. */
  output: string[];
  /** Calls listener for each line from now on; returns a function that stops it. */
  onLine(listener: (line: string) => void): () => void;
  /** The next line matching `pattern`, or undefined if none comes within timeoutMs. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string | undefined>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export class ServerStartError extends Error {
  constructor(
    message: string,
    readonly reason: 'exited' | 'timeout',
    readonly output: string[],
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = 'ServerStartError';
  }
}

export interface StartServerProcessOptions {
  /** Extra arguments after the file (default: listen on 127.0.0.1 with a free port). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the "listening on" line. */
  timeoutMs?: number;
  /** Called for every output line as it arrives (e.g. to print it with a prefix). */
  echo?: (line: string) => void;
}

/** Every child started here, so none outlives this process (see killAllChildren). */
const liveChildren = new Set<ChildProcess>();

/** Starts `node --import tsx <file>` and resolves once it prints "listening on HOST:PORT". */
export function startServerProcess(file: string, options: StartServerProcessOptions = {}): Promise<ServerProcess> {
  const { args = ['--host', '127.0.0.1', '--port', '0'], env = process.env, timeoutMs = 10_000, echo } = options;
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: REPO_ROOT,
    env: { ...env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group on POSIX, so stop() reaches anything it spawned.
    detached: !IS_WINDOWS,
    windowsHide: true,
  });
  liveChildren.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      liveChildren.delete(child);
      resolve();
    });
  });

  const output: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const take = (line: string) => {
    const text = line.length > MAX_LINE_LENGTH ? `${line.slice(0, MAX_LINE_LENGTH)}…` : line;
    if (output.length < MAX_CAPTURED_LINES) output.push(text);
    echo?.(text);
    for (const listener of [...listeners]) listener(text);
  };
  createInterface({ input: child.stdout! }).on('line', take);
  createInterface({ input: child.stderr! }).on('line', take);

  const stop = async (graceMs = 2000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    signal(child, 'SIGTERM');
    const timer = setTimeout(() => signal(child, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return new Promise<ServerProcess>((resolve, reject) => {
    const fail = (error: ServerStartError) => {
      cleanup();
      void stop(0).then(() => reject(error));
    };
    const timer = setTimeout(
      () => fail(new ServerStartError(`did not print "listening on HOST:PORT" within ${timeoutMs / 1000} s`, 'timeout', output, null)),
      timeoutMs,
    );
    const onExit = (code: number | null, signalName: NodeJS.Signals | null) => {
      // Let the last output lines arrive before reporting.
      setImmediate(() =>
        fail(new ServerStartError(`exited (${signalName ?? `code ${code}`}) before it was listening`, 'exited', output, code)),
      );
    };
    const onListening = (line: string) => {
      const match = LISTENING_PATTERN.exec(line);
      if (!match) return;
      cleanup();
      const host = match[1]!.replace(/^\[(.*)\]$/, '$1');
      const port = Number(match[2]);
      resolve({
        child,
        host,
        port,
        address: `${match[1]}:${port}`,
        output,
        onLine(listener) {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
        waitForLine(pattern, waitMs) {
          return new Promise((resolveLine) => {
            const timer = setTimeout(() => done(undefined), waitMs);
            const listener = (text: string) => {
              if (pattern.test(text)) done(text);
            };
            const done = (text: string | undefined) => {
              clearTimeout(timer);
              listeners.delete(listener);
              resolveLine(text);
            };
            listeners.add(listener);
          });
        },
        stop,
      });
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('exit', onExit);
      listeners.delete(onListening);
    };
    child.once('exit', onExit);
    listeners.add(onListening);
  });
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    if (!IS_WINDOWS && child.pid !== undefined) process.kill(-child.pid, name);
    else child.kill(name);
  } catch {
    // Already gone.
  }
}

/** Kills every child still running, at once (for process exit and Ctrl+C). */
export function killAllChildren(): void {
  for (const child of liveChildren) signal(child, 'SIGKILL');
}

process.on('exit', killAllChildren);
