// The three servers under test, each in a child process of its own, so the load
// generated here never shares a process (or an event loop) with a server.
import { fileURLToPath } from 'node:url';
import { type ServerProcess, ServerStartError, startServerProcess } from '../lib/process.ts';

const file = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export const SERVER_FILES = {
  /** The reference solution, unchanged: its logging interceptor prints one line per RPC. */
  reference: file('../solutions/server.ts'),
  bare: file('./bare-grpc-server.ts'),
  rest: file('./rest-server.ts'),
} as const;

export type BenchServers = Record<keyof typeof SERVER_FILES, ServerProcess> & { stopAll(): Promise<void> };

/**
 * Starts all three at once on 127.0.0.1 with free ports. Their output goes to
 * pipes that lib/process.ts drains (keeping the first 500 lines for errors):
 * an undrained pipe would fill and stall the reference server's logging.
 */
export async function startBenchServers(): Promise<BenchServers> {
  const names = Object.keys(SERVER_FILES) as Array<keyof typeof SERVER_FILES>;
  const started = await Promise.allSettled(names.map((name) => startServerProcess(SERVER_FILES[name])));
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stopAll = async () => {
    await Promise.all(running.map((server) => server.stop()));
  };

  const failedAt = started.findIndex((result) => result.status === 'rejected');
  if (failedAt !== -1) {
    await stopAll();
    const reason = (started[failedAt] as PromiseRejectedResult).reason as unknown;
    const output = reason instanceof ServerStartError ? `\n${reason.output.slice(-20).join('\n')}` : '';
    throw new Error(`the ${names[failedAt]} server did not start: ${reason instanceof Error ? reason.message : String(reason)}${output}`);
  }
  const [reference, bare, rest] = running as [ServerProcess, ServerProcess, ServerProcess];
  return { reference, bare, rest, stopAll };
}
