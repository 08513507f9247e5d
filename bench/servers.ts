// The servers under test, each in a child process of its own, so the load never
// shares a process (or an event loop) with a server.
import { fileURLToPath } from 'node:url';
import { type ServerProcess, ServerStartError, startServerProcess } from '../lib/process.ts';
import type { ServerKey } from './results.ts';

const file = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export const SERVER_FILES: Record<ServerKey, string> = {
  /** The reference solution, unchanged: its logging interceptor prints one line per RPC. */
  'grpc-reference': file('../solutions/server.ts'),
  'grpc-bare': file('./bare-grpc-server.ts'),
  rest: file('./rest-server.ts'),
};

export const SERVER_LABELS: Record<ServerKey, string> = {
  'grpc-reference': 'gRPC reference',
  'grpc-bare': 'gRPC bare',
  rest: 'REST/JSON',
};

export type BenchServers<K extends ServerKey> = Record<K, ServerProcess> & { stopAll(): Promise<void> };

/**
 * Starts `keys` at once on 127.0.0.1 with free ports. Their output goes to
 * pipes that lib/process.ts drains (keeping the first 500 lines for errors):
 * an undrained pipe would fill and stall the reference server's logging.
 */
export async function startBenchServers<K extends ServerKey>(keys: readonly K[]): Promise<BenchServers<K>> {
  const started = await Promise.allSettled(keys.map((key) => startServerProcess(SERVER_FILES[key])));
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stopAll = async () => {
    await Promise.all(running.map((server) => server.stop()));
  };

  const failedAt = started.findIndex((result) => result.status === 'rejected');
  if (failedAt !== -1) {
    await stopAll();
    const reason = (started[failedAt] as PromiseRejectedResult).reason as unknown;
    const output = reason instanceof ServerStartError ? `\n${reason.output.slice(-20).join('\n')}` : '';
    const label = SERVER_LABELS[keys[failedAt]!];
    throw new Error(`the ${label} server did not start: ${reason instanceof Error ? reason.message : String(reason)}${output}`);
  }
  const servers = Object.fromEntries(keys.map((key, index) => [key, (started[index] as PromiseFulfilledResult<ServerProcess>).value]));
  return { ...(servers as Record<K, ServerProcess>), stopAll };
}
