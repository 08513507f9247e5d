// Running TypeScript files as child processes, through tsx or compiled
// (lib/compile.ts): capture their output (capped), wait for a line, and stop
// them together with anything they started (tsx's esbuild service, a server a
// learner's script starts). Used by `npm run solution`, the checker and the
// tests. Works on Linux, macOS and Windows.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { SPARE_PACKAGES_ENV } from './bundle-cache.mjs';
import { compile, packagesOf } from './compile.ts';
import { REPO_ROOT } from './proto.ts';
import { listeningLine } from './protocol.ts';

const MAX_CAPTURED_LINES = 500;
const MAX_LINE_LENGTH = 2000;

export interface ChildTsProcess {
  child: ChildProcess;
  /** Output lines so far (stdout and stderr), capped at MAX_CAPTURED_LINES. */
  output: string[];
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** Calls listener for each line from now on; returns a function that stops it. */
  onLine(listener: (line: string) => void): () => void;
  /** The next line matching `pattern`, or undefined if none comes within timeoutMs or the process exits. */
  waitForLine(pattern: LineMatcher, timeoutMs: number): Promise<string | undefined>;
  /** Like waitForLine, but a matching line printed already counts too. */
  findLine(pattern: LineMatcher, timeoutMs: number): Promise<string | undefined>;
  /**
   * Stops the process and everything it started: SIGTERM to its process group, then SIGKILL after
   * graceMs (POSIX); on Windows the whole tree at once (see killTrees). Resolves once it has exited
   * and its output is closed, which a surviving grandchild holding the output would prevent.
   */
  stop(graceMs?: number): Promise<void>;
}

/** A pattern, or a test such as `(line) => listeningLine.parse(line) !== undefined`. */
export type LineMatcher = RegExp | ((line: string) => boolean);

const matches = (pattern: LineMatcher, line: string) => (typeof pattern === 'function' ? pattern(line) : pattern.test(line));

export interface ServerProcess extends ChildTsProcess {
  host: string;
  port: number;
  /** "host:port" to give a client. */
  address: string;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** 'pipe' to write to the child's stdin (child.stdin); closed ('ignore') by default. */
  stdin?: 'ignore' | 'pipe';
  /** Called for every output line as it arrives (e.g. to print it with a prefix). */
  echo?: (line: string) => void;
}

/** Every child started here, so none outlives this process (see killAllChildren). */
const liveChildren = new Set<ChildProcess>();

/** Starts `node --import tsx/esm <file> <args>` with its output captured line by line. */
export function spawnTs(file: string, args: string[], options: SpawnOptions = {}): ChildTsProcess {
  return spawnCaptured(process.execPath, ['--import', 'tsx/esm', file, ...args], options);
}

/** A program as `node <entry> <args>` with that stdin. */
interface Program {
  entry: string;
  args: string[];
  stdin: 'ignore' | 'pipe';
}

/** lib/spare.mjs, run with the node arguments of a compiled program (stack traces name the .ts files). */
const SPARE = fileURLToPath(new URL('./spare.mjs', import.meta.url));
const COMPILED_NODE_ARGS = ['--enable-source-maps'];

/** A spare for `program` that loads `packages` ahead; its file descriptor 3 is the launch channel. */
function spawnSpare({ entry, args, stdin }: Program, packages: string[]): ChildProcess {
  return spawnInGroup(process.execPath, [...COMPILED_NODE_ARGS, SPARE, entry, ...args], {
    env: { ...process.env, [SPARE_PACKAGES_ENV]: packages.join(',') },
    stdio: [stdin, 'pipe', 'pipe', 'pipe'],
  });
}

/** Spares started ahead of need, one per program, and the programs started so far. */
const spares = new Map<string, ChildTsProcess>();
const startedPrograms = new Map<string, Program & { lazyFiles?: string[] }>();
const programKey = ({ entry, args, stdin }: Program) => JSON.stringify([stdin, entry, ...args]);

/** The launch channel of a spare: its file descriptor 3 (lib/spare.mjs). */
const launchChannel = (spare: ChildTsProcess) => spare.child.stdio[3] as Writable;

const isRunning = (launched: ChildTsProcess | undefined) => launched?.child.exitCode === null && launched.child.signalCode === null;

function captureSpare(child: ChildProcess): ChildTsProcess {
  const spare = captureChild(child);
  // A spare that is gone before it is told what to run must not take this process with it (EPIPE).
  launchChannel(spare).on('error', () => {});
  return spare;
}

/**
 * Starts `<file> <args>` like spawnTs, compiled (lib/compile.ts): the same program without
 * tsx's start-up cost, for what is started many times (the grader's). The process starts at
 * once (a spare, or one started earlier by prepareSpares) and loads the packages while the
 * files are compiled. `lazyFiles`: files it imports by a path known only when it runs
 * (lib/compiled-import.ts).
 */
export async function spawnCompiled(
  file: string,
  args: string[],
  { lazyFiles, env = process.env, stdin = 'ignore', echo }: SpawnOptions & { lazyFiles?: string[] } = {},
): Promise<ChildTsProcess> {
  const entry = path.resolve(file);
  const program: Program = { entry, args, stdin };
  const key = programKey(program);
  startedPrograms.set(key, { ...program, lazyFiles });
  const ready = spares.get(key);
  spares.delete(key);
  const launched = isRunning(ready) ? ready! : captureSpare(spawnSpare(program, packagesOf({ entry, lazyFiles })));
  let launch: { bundle: string; env: NodeJS.ProcessEnv } | { fail: string };
  try {
    const compiled = await compile({ entry, lazyFiles });
    launch =
      compiled.errors.size > 0 && !lazyFiles?.length
        ? // A program that does not compile stops before its first line, as under tsx: it says why and exits 1.
          { fail: `TransformError: ${[...compiled.errors.values()].join('\n')}\n` }
        : { bundle: compiled.file, env: { ...env, NO_COLOR: '1' } };
  } catch (error) {
    await launched.stop(0);
    throw error;
  }
  launchChannel(launched).end(`${JSON.stringify(launch)}\n`);
  if (echo) {
    for (const line of launched.output) echo(line);
    launched.onLine(echo);
  }
  return launched;
}

/** Starts a spare for each program started compiled so far that has none ready (watch mode does, between runs); returns those started. */
export function prepareSpares(): ChildTsProcess[] {
  const started: ChildTsProcess[] = [];
  for (const [key, { lazyFiles, ...program }] of startedPrograms) {
    if (isRunning(spares.get(key))) continue;
    const spare = captureSpare(spawnSpare(program, packagesOf({ entry: program.entry, lazyFiles })));
    spares.set(key, spare);
    started.push(spare);
  }
  return started;
}

/** Stops the spares no program took (they would keep this process waiting on their output). */
export async function stopSpares(): Promise<void> {
  const idle = [...spares.values()];
  spares.clear();
  await Promise.all(idle.map((spare) => spare.stop(0)));
}

/** How `launched` exited (exit code or signal name), or undefined if it still runs after `ms`. */
export function exitedWithin(launched: ChildTsProcess, ms: number): Promise<number | string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([launched.exited, timeout]).finally(() => clearTimeout(timer));
}

/** Starts any program (e.g. /usr/bin/python3) with its output captured line by line. */
export function spawnCaptured(
  command: string,
  args: string[],
  { env = process.env, echo, stdin = 'ignore' }: SpawnOptions = {},
): ChildTsProcess {
  return captureChild(spawnInGroup(command, args, { env, stdio: [stdin, 'pipe', 'pipe'] }), echo);
}

/** Starts `command args` in the workbook's folder without colours, in a process group of its own on POSIX (so killTrees reaches anything it starts). */
function spawnInGroup(command: string, args: string[], { env, stdio }: { env: NodeJS.ProcessEnv; stdio: Array<'ignore' | 'pipe'> }) {
  return spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...env, NO_COLOR: '1' },
    stdio,
    detached: process.platform !== 'win32',
    windowsHide: true,
  });
}

/** Captures the output of a child started with piped stdout and stderr (spawnInGroup), line by line. */
function captureChild(child: ChildProcess, echo?: (line: string) => void): ChildTsProcess {
  liveChildren.add(child);

  const output: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let openStreams = 2;
  let exitStatus: number | string | undefined;
  let resolveExited: (status: number | string) => void;
  const exited = new Promise<number | string>((resolve) => (resolveExited = resolve));
  // Report the exit only once both output streams are drained, so no last line is lost.
  // Until then something of its tree may still run (e.g. a grandchild that inherited the output),
  // so the process stays among the live children to kill.
  let settled = false;
  const settle = () => {
    if (exitStatus === undefined || openStreams > 0 || settled) return;
    settled = true;
    liveChildren.delete(child);
    resolveExited(exitStatus);
  };
  child.once('exit', (code, signalName) => {
    exitStatus = code ?? signalName ?? 'unknown';
    settle();
  });

  const take = (line: string) => {
    // The kept copy is capped; echo and listeners get the whole line (a tool's message can be long).
    if (output.length < MAX_CAPTURED_LINES) output.push(line.length > MAX_LINE_LENGTH ? `${line.slice(0, MAX_LINE_LENGTH)}…` : line);
    echo?.(line);
    for (const listener of [...listeners]) listener(line);
  };
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream })
      .on('line', take)
      .on('close', () => {
        openStreams -= 1;
        settle();
      });
  }

  return {
    child,
    output,
    exited,
    onLine(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve) => {
        const done = (line: string | undefined) => {
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(line);
        };
        const listener = (line: string) => {
          if (matches(pattern, line)) done(line);
        };
        const timer = setTimeout(() => done(undefined), timeoutMs);
        listeners.add(listener);
        void exited.then(() => done(undefined));
      });
    },
    async findLine(pattern, timeoutMs) {
      return output.find((line) => matches(pattern, line)) ?? this.waitForLine(pattern, timeoutMs);
    },
    async stop(graceMs = 2000) {
      if (settled) return;
      killTrees([child], 'SIGTERM');
      const timer = setTimeout(() => killTrees([child], 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export class ServerStartError extends Error {
  constructor(
    message: string,
    readonly reason: 'exited' | 'timeout',
    readonly output: string[],
    readonly exitStatus: number | string | null,
  ) {
    super(message);
    this.name = 'ServerStartError';
  }
}

export interface StartServerProcessOptions extends SpawnOptions {
  /** Extra arguments after the file (default: listen on 127.0.0.1 with a free port). */
  args?: string[];
  /** How long to wait for the "listening on" line. */
  timeoutMs?: number;
  /** Run it compiled (spawnCompiled) rather than through tsx. */
  compiled?: boolean;
}

/** Starts a server file and resolves once it prints "listening on HOST:PORT". */
export async function startServerProcess(file: string, options: StartServerProcessOptions = {}): Promise<ServerProcess> {
  const { args = ['--host', '127.0.0.1', '--port', '0'], timeoutMs = 10_000, compiled = false, ...spawnOptions } = options;
  const launched = compiled ? await spawnCompiled(file, args, spawnOptions) : spawnTs(file, args, spawnOptions);
  const line = await launched.waitForLine((text) => listeningLine.parse(text) !== undefined, timeoutMs);
  if (line === undefined) {
    // Either it exited (then `exited` has settled) or the time ran out.
    const exitStatus = await Promise.race([launched.exited, Promise.resolve(null)]);
    await launched.stop(0);
    throw exitStatus === null
      ? new ServerStartError(`did not print "listening on HOST:PORT" within ${timeoutMs / 1000} s`, 'timeout', launched.output, null)
      : new ServerStartError(
          `exited (${typeof exitStatus === 'number' ? `code ${exitStatus}` : exitStatus}) before it was listening`,
          'exited',
          launched.output,
          exitStatus,
        );
  }
  return { ...launched, ...listeningLine.parse(line)! };
}

/** A program and its arguments, run without a shell. */
export interface Command {
  command: string;
  args: string[];
}

/**
 * The command that ends these processes and everything they started, on Windows: taskkill /T (the
 * whole tree) /F (forced: console programs have no SIGTERM to honour, and Node's own kill() is a
 * forced TerminateProcess too). Taken from %SystemRoot%\System32 when known, so no other
 * taskkill on the PATH (or in the current folder, which Windows searches first) is run.
 */
export function taskkillCommand(pids: readonly number[], env: NodeJS.ProcessEnv = process.env): Command {
  const systemRoot = env.SystemRoot ?? env.SYSTEMROOT;
  return {
    command: systemRoot ? path.win32.join(systemRoot, 'System32', 'taskkill.exe') : 'taskkill',
    args: ['/T', '/F', ...pids.flatMap((pid) => ['/PID', String(pid)])],
  };
}

/**
 * Ends each child and everything it started.
 * - POSIX: `signal` to the child's process group (spawnCaptured makes each child lead one). The
 *   group outlives its leader while a member runs, so this also reaches a grandchild left behind.
 * - Windows has neither signals nor process groups: taskkill /T /F ends each tree. Windows finds a
 *   tree through its root, so it works only while the child itself still runs: an orphaned
 *   grandchild can no longer be found (hence the tree, not the child alone, and at once).
 * Synchronous, so that it also works in an 'exit' handler: on Windows, a child still running when
 * this process exits is killed with it (libuv's job object), and so would an unfinished taskkill.
 */
export function killTrees(
  children: readonly ChildProcess[],
  signal: NodeJS.Signals,
  { platform = process.platform, env = process.env }: { platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv } = {},
): void {
  if (platform === 'win32') {
    const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
    const pids = running.flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
    if (pids.length > 0) {
      const { command, args } = taskkillCommand(pids, env);
      const result = spawnSync(command, args, { env, stdio: 'ignore', windowsHide: true, timeout: 10_000 });
      if (result.status === 0) return;
    }
    // No taskkill, or it failed: end at least the children themselves.
    for (const child of running) child.kill('SIGKILL');
    return;
  }
  for (const child of children) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

/** Kills every child still running (or whose grandchildren may be), at once: for process exit and Ctrl+C. */
export function killAllChildren(): void {
  killTrees([...liveChildren], 'SIGKILL');
}

process.on('exit', killAllChildren);

/**
 * A signal ends a Node process without its 'exit' handlers, and the children
 * started here sit in process groups of their own, out of the terminal's reach:
 * on Ctrl+C, a test runner's timeout or a `kill`, they would run on. So the
 * children go first. A program that handles the signal itself (the grader's
 * Ctrl+C) decides what happens next; otherwise the signal does what it always
 * does, once this handler is out of the way.
 */
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  const killChildrenFirst = () => {
    killAllChildren();
    if (process.listenerCount(signal) > 1) return;
    process.off(signal, killChildrenFirst);
    process.kill(process.pid, signal);
  };
  process.on(signal, killChildrenFirst);
}
