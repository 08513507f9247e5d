// The client side of the streaming measurement: one object per server with the
// same two operations (create, watch), so it runs the same code against gRPC
// (grpc-js, as an application would use it) and REST (node:http, SSE). Calls
// never reject: they report an outcome.
import http from 'node:http';
import type * as grpc from '@grpc/grpc-js';
import { createTaskManagerClient, statusName } from '../lib/client-runtime.ts';
import type { TaskEvent, TaskManagerClient } from '../lib/proto.ts';
import { type NewTask, REQUESTS, taskIdOfAnswer } from './requests.ts';
import type { ServerKey } from './results.ts';
import { errorKind, restExchange } from './wire.ts';

/** OK carries the task id; anything else is named ("NOT_FOUND", "HTTP 404", "ECONNRESET"). */
export type CallOutcome = { ok: true; id: string } | { ok: false; error: string };

export interface WatchHandlers {
  onEvent(event: TaskEvent): void;
  /** The feed failed or ended while it was wanted. */
  onError(kind: string): void;
}

export interface Watcher {
  /** Resolves once the server has surely subscribed it (gRPC cannot tell: at once). */
  ready: Promise<void>;
  close(): void;
}

export interface BenchTarget {
  key: ServerKey;
  label: string;
  /** The server's process id, for its CPU figures. */
  serverPid: number | undefined;
  create(task: NewTask): Promise<CallOutcome>;
  watch(handlers: WatchHandlers): Watcher;
  close(): void;
}

/** A gRPC target: one client, so one channel and one HTTP/2 connection that every call shares. */
export function grpcTarget(
  key: ServerKey,
  label: string,
  { address, serverPid }: { address: string; serverPid: number | undefined },
  callTimeoutMs: number,
): BenchTarget {
  const client: TaskManagerClient = createTaskManagerClient(address);
  const outcome = (error: grpc.ServiceError | null, id: string | undefined): CallOutcome =>
    error ? { ok: false, error: statusName(error.code) } : { ok: true, id: id ?? '' };
  const options = (): grpc.CallOptions => ({ deadline: Date.now() + callTimeoutMs });

  return {
    key,
    label,
    serverPid,
    create: (request) =>
      new Promise((resolve) => client.CreateTask(request, options(), (error, response) => resolve(outcome(error, response?.task?.id)))),
    watch: (handlers) => watchOverGrpc(client, handlers),
    close: () => client.close(),
  };
}

function watchOverGrpc(client: TaskManagerClient, handlers: WatchHandlers): Watcher {
  let closed = false;
  const call = client.WatchTasks({});
  call.on('data', (event: TaskEvent) => handlers.onEvent(event));
  // cancel() below also ends in an error (CANCELLED): only earlier ones count.
  call.on('error', (error: grpc.ServiceError) => {
    if (!closed) handlers.onError(statusName(error.code));
  });
  return {
    ready: Promise.resolve(),
    close() {
      closed = true;
      call.cancel();
    },
  };
}

/**
 * A REST target. Creates share a keep-alive agent (bench/wire.ts, restExchange).
 * Each SSE watcher holds a connection of its own for as long as it watches.
 */
export function restTarget(
  label: string,
  { host, port, serverPid }: { host: string; port: number; serverPid: number | undefined },
  callTimeoutMs: number,
): BenchTarget {
  const unaryAgent = new http.Agent({ keepAlive: true });
  const watchAgent = new http.Agent({ keepAlive: false });
  return {
    key: 'rest',
    label,
    serverPid,
    async create(task) {
      const outcome = await restExchange({ host, port, agent: unaryAgent }, REQUESTS.create.rest(task), {
        timeoutMs: callTimeoutMs,
        keepBody: true,
      });
      if (!outcome.ok) return outcome;
      return { ok: true, id: taskIdOfAnswer('rest', outcome.body!) ?? '' };
    },
    watch: (handlers) => watchOverSse({ agent: watchAgent, host, port }, handlers),
    close() {
      unaryAgent.destroy();
      watchAgent.destroy();
    },
  };
}

/** GET /tasks/watch, read as Server-Sent Events: each `data:` line holds one TaskEvent as JSON. */
function watchOverSse({ agent, host, port }: { agent: http.Agent; host: string; port: number }, handlers: WatchHandlers): Watcher {
  let closed = false;
  const failed = (kind: string) => {
    if (!closed) handlers.onError(kind);
  };
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const request = http.get({ agent, host, port, path: '/tasks/watch', headers: { accept: 'text/event-stream' } }, (response) => {
    if (response.statusCode !== 200) {
      failed(`HTTP ${response.statusCode}`);
      response.resume();
      return;
    }
    markReady(); // the server subscribes before it answers 200
    response.setEncoding('utf8');
    let buffered = '';
    response.on('data', (chunk: string) => {
      buffered += chunk;
      // Messages end with a blank line; a chunk may hold several, or part of one.
      for (let end = buffered.indexOf('\n\n'); end !== -1; end = buffered.indexOf('\n\n')) {
        const message = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        for (const line of message.split('\n')) {
          if (line.startsWith('data: ')) handlers.onEvent(JSON.parse(line.slice('data: '.length)) as TaskEvent);
        }
      }
    });
    response.on('end', () => failed('stream ended'));
  });
  request.on('error', (error) => failed(errorKind(error)));
  return {
    ready,
    close() {
      closed = true;
      request.destroy();
    },
  };
}
