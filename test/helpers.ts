// Shared by the tests: servers on 127.0.0.1 with OS-chosen ports, clients, bounded waits, scripts run to completion.
import { spawn } from 'node:child_process';
import type * as grpc from '@grpc/grpc-js';
import { type InProcessServer, startInProcessServer } from '../checker/harness/in-process-server.ts';
import type { TaskEvent, TaskManagerClient, TaskManagerHandlers } from '../lib/proto.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import type { TaskStore } from '../lib/store.ts';

export interface TestServer extends InProcessServer {
  /** Closes the client and stops the server. */
  close(): Promise<void>;
  /** Stops the server as a Ctrl+C would: streams end, calls in flight get graceMs. */
  shutdown(graceMs?: number): Promise<void>;
}

/** A server on 127.0.0.1 with an OS-chosen port (the reference handlers unless told otherwise), and a client for it. */
export async function startTestServer(
  setup: { createHandlers?: (store: TaskStore) => Partial<TaskManagerHandlers>; interceptors?: grpc.ServerInterceptor[] } = {},
): Promise<TestServer> {
  const running = await startInProcessServer({ handlers: setup.createHandlers, interceptors: setup.interceptors });
  return { ...running, close: () => running.stop(500), shutdown: (graceMs = 1000) => running.stop(graceMs) };
}
/** Rejects with a message naming `what` if `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves when `condition()` holds (checked on each turn of the event loop), or rejects after `ms`. */
export async function waitUntil(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Opens WatchTasks and collects events; `next(n)` resolves once n events have arrived in total. */
export function watch(client: TaskManagerClient) {
  const stream = client.WatchTasks({});
  const events: TaskEvent[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let failure: grpc.ServiceError | undefined;
  stream.on('data', (event: TaskEvent) => {
    events.push(event);
    for (const waiter of waiters.filter((w) => events.length >= w.count)) waiter.resolve();
  });
  stream.on('error', (error: grpc.ServiceError) => {
    failure = error;
  });
  return {
    stream,
    events,
    get failure() {
      return failure;
    },
    next(count: number, ms = 2000) {
      if (events.length >= count) return Promise.resolve();
      return withTimeout(
        new Promise<void>((resolve) => waiters.push({ count, resolve })),
        ms,
        `${count} WatchTasks event(s) (got ${events.length})`,
      );
    },
  };
}

export interface FinishedRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node --import tsx/esm <script> <args>` (`node <script>` for a .mjs) from the
 * repo root without colours, as a learner's command would run. `done` settles when it exits (rejecting after
 * timeoutMs, and the process is killed either way). stdin 'pipe' gives it a
 * closed, non-terminal input: nobody can answer a question.
 */
export function runTs(
  script: string,
  args: string[],
  { env = {}, timeoutMs = 20_000, stdin = 'ignore' }: { env?: NodeJS.ProcessEnv; timeoutMs?: number; stdin?: 'ignore' | 'pipe' } = {},
) {
  // A .mjs script (checker/start.mjs, what `npm run check` runs) needs no tsx.
  const node = script.endsWith('.mjs') ? [script] : ['--import', 'tsx/esm', script];
  const child = spawn(process.execPath, [...node, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  child.stdin?.end();
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const finished = new Promise<FinishedRun>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  const done = withTimeout(finished, timeoutMs, `${script} ${args.join(' ')}`).finally(() => child.kill('SIGKILL'));
  return { child, done, stdout: () => stdout };
}

/**
 * `<program> | (sleep 1; cat)`: what a reader that starts a second late gets of
 * the program's output. A shell makes the pipe: a real OS pipe (64 KB), where
 * Node's own 'pipe' would be a socket that holds more. POSIX only.
 */
export async function throughSlowPipe(program: string): Promise<{ code: number | null; text: string }> {
  const shell = spawn('sh', ['-c', `${program} | (sleep 1; cat)`], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' } });
  const chunks: Buffer[] = [];
  shell.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = await withTimeout(new Promise<number | null>((resolve) => shell.on('close', resolve)), 60_000, program);
  return { code, text: Buffer.concat(chunks).toString('utf8') };
}
