// The bench's own load, as one thread runs it: a closed loop of callers, each
// sending its next request as soon as its previous answer arrives, over a set
// number of connections, until a time or a count is reached. The job and its
// result are plain data, so the same types serve the thread and the main side.

import http from 'node:http';
import type http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import { threadCpuMs } from './cpu.ts';
import type { WireRequest } from './requests.ts';
import { connectGrpc, grpcExchange, type Outcome, type RestEndpoint, restExchange } from './wire.ts';

export interface LoadJob {
  host: string;
  port: number;
  request: WireRequest;
  /** gRPC: HTTP/2 connections, each carrying streamsPerConnection calls at once. REST: one caller per connection. */
  connections: number;
  /** gRPC only (REST over HTTP/1.1 carries one request at a time per connection). */
  streamsPerConnection: number;
  /** REST only: open a new connection for every request instead of keeping them alive. */
  connectionPerRequest?: boolean;
  /** Run on at most this many load threads (default: all of them). */
  maxThreads?: number;
  /** Stop starting requests after this long... */
  durationMs?: number;
  /** ...or after this many (whichever comes first; at least one of the two is set). */
  maxRequests?: number;
  timeoutMs: number;
}

export interface LoadResult {
  /** From the first request to the last answer (connections are opened before). */
  elapsedMs: number;
  ok: number;
  /** Failed calls by kind ("NOT_FOUND", "HTTP 500", "ECONNRESET", "TIMEOUT"). */
  errors: Record<string, number>;
  /** One per OK answer, in milliseconds. */
  latencies: Float64Array;
  /** Per load thread: the share of time its event loop was busy (1 = the thread was the limit). */
  threadBusy: number[];
  /** CPU time of the load threads together; null where a thread cannot read its own (no /proc). */
  cpuMs: number | null;
}

export function callersOf(job: Pick<LoadJob, 'request' | 'connections' | 'streamsPerConnection'>): number {
  return job.request.protocol === 'grpc' ? job.connections * job.streamsPerConnection : job.connections;
}

/** Adds the counts of `more` to `into`. */
export function addErrors(into: Record<string, number>, more: Record<string, number>): void {
  for (const [kind, count] of Object.entries(more)) into[kind] = (into[kind] ?? 0) + count;
}

/** Runs one job in this thread. Never throws: a connection that cannot be opened counts as errors. */
export async function runLoadJob(job: LoadJob): Promise<LoadResult> {
  if (job.durationMs === undefined && job.maxRequests === undefined) throw new Error('a load job needs durationMs or maxRequests');
  const errors: Record<string, number> = {};
  const countError = (kind: string, count = 1) => (errors[kind] = (errors[kind] ?? 0) + count);
  const options = { timeoutMs: job.timeoutMs };
  const sessions: http2.ClientHttp2Session[] = [];
  let agent: http.Agent | undefined;
  const callers: Array<() => Promise<Outcome>> = [];

  if (job.request.protocol === 'grpc') {
    const opened = await Promise.allSettled(Array.from({ length: job.connections }, () => connectGrpc(job.host, job.port, job.timeoutMs)));
    for (const result of opened) {
      if (result.status === 'rejected') {
        countError((result.reason as NodeJS.ErrnoException).code ?? 'cannot connect', job.streamsPerConnection);
        continue;
      }
      const session = result.value;
      sessions.push(session);
      session.on('error', () => {}); // each call on it reports the failure
      for (let stream = 0; stream < job.streamsPerConnection; stream++) callers.push(() => grpcExchange(session, job.request, options));
    }
  } else {
    if (!job.connectionPerRequest) agent = new http.Agent({ keepAlive: true, maxSockets: job.connections });
    const endpoint: RestEndpoint = { host: job.host, port: job.port, agent: agent ?? false };
    for (let caller = 0; caller < job.connections; caller++) callers.push(() => restExchange(endpoint, job.request, options));
  }

  const latencies: number[] = [];
  const maxRequests = job.maxRequests ?? Number.POSITIVE_INFINITY;
  let sent = 0;
  const eluStart = performance.eventLoopUtilization();
  const cpuStart = threadCpuMs();
  const started = performance.now();
  const stopAt = started + (job.durationMs ?? Number.POSITIVE_INFINITY);
  const loop = async (callOnce: () => Promise<Outcome>) => {
    while (sent < maxRequests && performance.now() < stopAt) {
      sent += 1;
      const callStarted = performance.now();
      const outcome = await callOnce();
      if (outcome.ok) latencies.push(performance.now() - callStarted);
      else countError(outcome.error);
    }
  };
  try {
    await Promise.all(callers.map(loop));
  } finally {
    for (const session of sessions) session.close();
    agent?.destroy();
  }
  const elapsedMs = performance.now() - started;
  const busy = performance.eventLoopUtilization(eluStart).utilization;
  const cpuEnd = threadCpuMs();
  const cpuMs = cpuStart === undefined || cpuEnd === undefined ? null : cpuEnd - cpuStart;
  return { elapsedMs, ok: latencies.length, errors, latencies: Float64Array.from(latencies), threadBusy: [busy], cpuMs };
}

/** One result for jobs that ran side by side (one per thread). */
export function mergeLoadResults(results: LoadResult[]): LoadResult {
  const errors: Record<string, number> = {};
  for (const result of results) addErrors(errors, result.errors);
  const latencies = new Float64Array(results.reduce((total, result) => total + result.latencies.length, 0));
  let at = 0;
  for (const result of results) {
    latencies.set(result.latencies, at);
    at += result.latencies.length;
  }
  return {
    elapsedMs: Math.max(0, ...results.map((result) => result.elapsedMs)),
    ok: results.reduce((total, result) => total + result.ok, 0),
    errors,
    latencies,
    threadBusy: results.flatMap((result) => result.threadBusy),
    cpuMs: results.every((result) => result.cpuMs !== null) ? results.reduce((total, result) => total + result.cpuMs!, 0) : null,
  };
}

/**
 * Splits a job over the threads available (at most job.maxThreads): connections
 * are dealt out in turn (a thread may get none), and a request count in
 * proportion to the callers.
 */
export function splitLoadJob(job: LoadJob, availableThreads: number): LoadJob[] {
  const threads = Math.max(1, Math.min(availableThreads, job.maxThreads ?? availableThreads));
  const parts: LoadJob[] = [];
  const total = callersOf(job);
  let countLeft = job.maxRequests;
  for (let thread = 0; thread < threads; thread++) {
    const connections = Math.floor(job.connections / threads) + (thread < job.connections % threads ? 1 : 0);
    if (connections === 0) continue;
    const part = { ...job, connections };
    if (job.maxRequests !== undefined) part.maxRequests = Math.floor((job.maxRequests * callersOf(part)) / total);
    parts.push(part);
  }
  // Rounded down above: the last part takes what is left, so the counts add up.
  if (countLeft !== undefined) {
    for (const part of parts.slice(0, -1)) countLeft -= part.maxRequests!;
    parts.at(-1)!.maxRequests = countLeft;
  }
  return parts;
}

/** Main side → load thread: run this job. */
export interface ThreadJobMessage {
  id: number;
  job: LoadJob;
}

/** Load thread → main side: loaded and waiting for jobs, or the result of job `id`. */
export type ThreadReplyMessage = { ready: true } | { id: number; result: LoadResult } | { id: number; failure: string };
