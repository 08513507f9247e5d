// Where the load comes from. Two generators behind one interface:
//   - h2load (nghttp2's load generator, written in C) where it is installed:
//     neutral and cheap, so the server, not the client, is the limit;
//   - the bench's own load otherwise: closed loops on Node's http2/http clients
//     in several worker threads (bench/load-thread.ts), each on a core of its own.
// Both run the same jobs (bench/closed-loop.ts) and report the same figures,
// including their own CPU time, so the report can say which side was busy.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  type LoadJob,
  type LoadResult,
  mergeLoadResults,
  splitLoadJob,
  type ThreadJobMessage,
  type ThreadReplyMessage,
} from './closed-loop.ts';

export interface LoadRun {
  elapsedMs: number;
  ok: number;
  errors: Record<string, number>;
  /** One per OK answer, in ms (h2load: from its per-request log). */
  latencies: Float64Array;
  /** CPU time of the load generator; null where it cannot be read (no /proc). */
  loadCpuMs: number | null;
  /** How many threads generated the load (their CPU can add up to this many cores). */
  loadThreads: number;
  /** The busiest load thread's share of time spent working (0–1; 1: it was the limit); null for h2load. */
  busiestThread: number | null;
  /** The command that generated it, when it was a program of its own (h2load). */
  command?: string;
}

export interface LoadGenerator {
  kind: 'h2load' | 'own';
  /** For the report: "h2load (nghttp2/1.52.0)", "the bench's own load (2 threads)". */
  description: string;
  /** What the report must add about the figures it produces, if anything. */
  caveat?: string;
  run(job: LoadJob): Promise<LoadRun>;
  close(): Promise<void>;
}

/** Threads for the bench's own load: one per core left over by the server, at least 2, at most 4. */
export function defaultLoadThreads(): number {
  return Math.min(4, Math.max(2, os.availableParallelism() - 1));
}

/** The thread file is TypeScript: each thread loads it through tsx, as `node --import tsx/esm` does for the main one. */
const THREAD_FILE = new URL('./load-thread.ts', import.meta.url).href;
const THREAD_BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ tsImport }) => tsImport(${JSON.stringify(THREAD_FILE)}, ${JSON.stringify(THREAD_FILE)}))`;
const THREAD_START_TIMEOUT_MS = 20_000;

interface LoadThread {
  worker: Worker;
  pending: Map<number, { resolve(result: LoadResult): void; reject(error: Error): void }>;
}

/**
 * The bench's own load: `count` worker threads. A job is split over them
 * (bench/closed-loop.ts, splitLoadJob) and their results merged. Threads end
 * with this process, whatever happens; close() ends them sooner.
 */
export async function startOwnLoad(count: number): Promise<LoadGenerator> {
  let nextId = 1;
  const threads: LoadThread[] = [];
  const starting = Array.from({ length: count }, () => {
    const thread: LoadThread = { worker: new Worker(THREAD_BOOTSTRAP, { eval: true }), pending: new Map() };
    threads.push(thread);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`a load thread did not start within ${THREAD_START_TIMEOUT_MS / 1000} s`)),
        THREAD_START_TIMEOUT_MS,
      );
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
        for (const job of thread.pending.values()) job.reject(error);
        thread.pending.clear();
      };
      thread.worker.on('error', fail);
      thread.worker.on('exit', (code) => fail(new Error(`a load thread stopped (exit code ${code})`)));
      thread.worker.on('message', (message: ThreadReplyMessage) => {
        if ('ready' in message) {
          clearTimeout(timer);
          resolve();
          return;
        }
        const job = thread.pending.get(message.id);
        thread.pending.delete(message.id);
        if ('failure' in message) job?.reject(new Error(`load thread: ${message.failure}`));
        else job?.resolve(message.result);
      });
    });
  });
  const close = async () => {
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  };
  try {
    await Promise.all(starting);
  } catch (error) {
    await close();
    throw error;
  }

  const runOn = (thread: LoadThread, job: LoadJob) =>
    new Promise<LoadResult>((resolve, reject) => {
      const id = nextId++;
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, job } satisfies ThreadJobMessage);
    });

  return {
    kind: 'own',
    description: `the bench's own load (${count} thread${count === 1 ? '' : 's'} of Node's http2/http clients)`,
    caveat:
      "Node's own clients cost about as much CPU per call as the servers they call, on the same CPUs: " +
      'where the limit column does not say "server", the calls per second are not the server\'s.',
    async run(job) {
      const parts = splitLoadJob(job, count);
      const result = mergeLoadResults(await Promise.all(parts.map((part, index) => runOn(threads[index]!, part))));
      return { ...result, loadCpuMs: result.cpuMs, loadThreads: parts.length, busiestThread: Math.max(...result.threadBusy) };
    },
    close,
  };
}
