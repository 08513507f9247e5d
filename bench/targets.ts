// The client side of the bench: one object per server with the same three
// operations (create, get, watch), so every measurement runs the same code
// against gRPC and against REST. Calls never reject: they report an outcome.
import http from 'node:http';
import type * as grpc from '@grpc/grpc-js';
import { createTaskManagerClient, statusName } from '../lib/client-runtime.ts';
import type { TaskEvent, TaskManagerClient } from '../lib/proto.ts';
import type { ServerKey } from './results.ts';

export interface NewTaskRequest {
  title: string;
  description: string;
  tags: string[];
}

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
  create(request: NewTaskRequest): Promise<CallOutcome>;
  get(id: string): Promise<CallOutcome>;
  /** Absent on the bare baseline, which has no WatchTasks. */
  watch?: (handlers: WatchHandlers) => Watcher;
  close(): void;
}

/** A gRPC target: one client, so one channel and one HTTP/2 connection that every call shares. */
export function grpcTarget(
  key: ServerKey,
  label: string,
  { address, serverPid }: { address: string; serverPid: number | undefined },
  callTimeoutMs: number,
  { canWatch = true } = {},
): BenchTarget {
  const client: TaskManagerClient = createTaskManagerClient(address);
  const outcome = (error: grpc.ServiceError | null, id: string | undefined): CallOutcome =>
    error ? { ok: false, error: statusName(error.code) } : { ok: true, id: id ?? '' };
  const options = (): grpc.CallOptions => ({ deadline: Date.now() + callTimeoutMs });

  const target: BenchTarget = {
    key,
    label,
    serverPid,
    create: (request) =>
      new Promise((resolve) => client.CreateTask(request, options(), (error, response) => resolve(outcome(error, response?.task?.id)))),
    get: (id) =>
      new Promise((resolve) => client.GetTask({ id }, options(), (error, response) => resolve(outcome(error, response?.task?.id)))),
    close: () => client.close(),
  };
  if (canWatch) target.watch = (handlers) => watchOverGrpc(client, handlers);
  return target;
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
 * A REST target. Unary calls share a keep-alive agent: HTTP/1.1 carries one
 * request at a time per connection, so concurrency N opens N connections.
 * Each SSE watcher holds a connection of its own for as long as it watches.
 */
export function restTarget(
  label: string,
  { host, port, serverPid }: { host: string; port: number; serverPid: number | undefined },
  callTimeoutMs: number,
): BenchTarget {
  const unaryAgent = new http.Agent({ keepAlive: true });
  const watchAgent = new http.Agent({ keepAlive: false });
  const call = async (method: string, path: string, body: unknown, okStatus: number): Promise<CallOutcome> => {
    const answer = await requestJson({ agent: unaryAgent, host, port, method, path, body, timeoutMs: callTimeoutMs });
    if ('error' in answer) return { ok: false, error: answer.error };
    if (answer.status !== okStatus) return { ok: false, error: `HTTP ${answer.status}` };
    return { ok: true, id: String((answer.body as { id?: unknown }).id ?? '') };
  };
  return {
    key: 'rest',
    label,
    serverPid,
    create: (request) => call('POST', '/tasks', request, 201),
    get: (id) => call('GET', `/tasks/${encodeURIComponent(id)}`, undefined, 200),
    watch: (handlers) => watchOverSse({ agent: watchAgent, host, port }, handlers),
    close() {
      unaryAgent.destroy();
      watchAgent.destroy();
    },
  };
}

interface JsonRequest {
  agent: http.Agent;
  host: string;
  port: number;
  method: string;
  path: string;
  body: unknown;
  timeoutMs: number;
}

/** One HTTP exchange with a JSON body each way. The answer is parsed, as a real client would. */
function requestJson({
  agent,
  host,
  port,
  method,
  path,
  body,
  timeoutMs,
}: JsonRequest): Promise<{ status: number; body: unknown } | { error: string }> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const request = http.request({ agent, host, port, method, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch {
          resolve({ error: 'unparsable JSON answer' });
        }
      });
      response.on('error', (error) => resolve({ error: errorKind(error) }));
    });
    request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })));
    request.on('error', (error) => resolve({ error: errorKind(error) }));
    request.end(payload);
  });
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

function errorKind(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.message;
}
