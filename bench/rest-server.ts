// The REST/JSON twin of TaskManager, for `npm run bench` only:
// the same TaskStore and the same rules as the gRPC server, on plain node:http,
// so the bench compares the two protocols and not two different services.
//
//   POST   /tasks                  {title, description?, tags?}        → 201 task
//   GET    /tasks/:id                                                   → 200 task
//   PATCH  /tasks/:id              {title?, description?, status?}     → 200 task
//   DELETE /tasks/:id                                                   → 200 task as it was
//   GET    /tasks?status=…|?tag=…                                       → 200 {tasks: [...]}
//   GET    /tasks/watch            Server-Sent Events: `data: {TaskEvent as JSON}` per change
//
// Field names are the proto's (snake_case) and enums travel as their names,
// exactly as the gRPC server's objects look. Errors: {"error": "title: must not be blank"}.
//
// Run it alone: node --import tsx/esm bench/rest-server.ts [--host H] [--port P] (default localhost:8080).
import http from 'node:http';
import { type Address, formatAddress, isEntryPoint, parseAddress } from '../lib/cli.ts';
import type { Task, TaskEvent, TaskStatus } from '../lib/proto.ts';
import { DIAGNOSTICS_ENV, diagnosticsLine } from '../lib/protocol.ts';
import { type TaskFilter, TaskStore } from '../lib/store.ts';
import { checkChanges, checkId, checkNewTask, checkStatus, type RuleViolation } from '../lib/task-rules.ts';

export const DEFAULT_REST_PORT = 8080;

/** A request body larger than this is refused (413) before it is parsed. */
const MAX_BODY_BYTES = 64 * 1024;
/** A watcher that falls this far behind is dropped rather than buffered without limit. */
const MAX_WATCHER_BACKLOG_BYTES = 1024 * 1024;
const SHUTDOWN_GRACE_MS = 1500;

// The REST bodies, in one place: the bench measures their size with these same functions.
export const encodeTaskBody = (task: Task): string => JSON.stringify(task);
export const encodeTaskListBody = (tasks: readonly Task[]): string => JSON.stringify({ tasks });
export const encodeEventMessage = (event: TaskEvent): string => `data: ${JSON.stringify(event)}\n\n`;

export interface RunningRestServer extends Address {
  server: http.Server;
  store: TaskStore;
  shutdown(): Promise<void>;
}

/** An answer other than 2xx: the status and the text of {"error": ...}. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const badRequest = (violation: RuleViolation) => new HttpError(400, violation);
const noSuchTask = (id: string) => new HttpError(404, `no task with id "${id}"`);

/** Starts the REST twin and resolves once it is listening (port 0 picks a free port). */
export async function startRestServer({ host, port }: Address, store = new TaskStore()): Promise<RunningRestServer> {
  const server = http.createServer((request, response) => {
    handleRequest(store, request, response).catch((error: unknown) => sendError(response, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const boundPort = (server.address() as { port: number }).port;

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= new Promise<void>((resolve) => {
      store.close(); // ends every SSE response, so their connections can close
      const forceTimer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      server.close(() => {
        clearTimeout(forceTimer);
        resolve();
      });
    }));

  return { server, store, host, port: boundPort, shutdown };
}

async function handleRequest(store: TaskStore, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://rest.invalid');
  const method = request.method ?? 'GET';
  const path = url.pathname;

  if (path === '/tasks') {
    if (method === 'POST') return sendJson(response, 201, createTask(store, await readJsonBody(request)));
    if (method === 'GET') return sendRaw(response, 200, encodeTaskListBody(store.list(filterFrom(url.searchParams))));
    throw methodNotAllowed(response, 'GET, POST');
  }
  // Matched before /tasks/:id, so "watch" is never taken for a task id.
  if (path === '/tasks/watch') {
    if (method === 'GET') return watchTasks(store, request, response);
    throw methodNotAllowed(response, 'GET');
  }
  const idMatch = /^\/tasks\/([^/]+)$/.exec(path);
  if (idMatch) {
    const id = decodePathSegment(idMatch[1]!);
    const violation = checkId(id);
    if (violation) throw badRequest(violation);
    if (method === 'GET') return sendRaw(response, 200, encodeTaskBody(store.get(id) ?? throwError(noSuchTask(id))));
    if (method === 'PATCH') return sendJson(response, 200, updateTask(store, id, await readJsonBody(request)));
    if (method === 'DELETE') return sendJson(response, 200, store.delete(id) ?? throwError(noSuchTask(id)));
    throw methodNotAllowed(response, 'GET, PATCH, DELETE');
  }
  throw new HttpError(404, `no route for ${method} ${path}`);
}

function createTask(store: TaskStore, body: Record<string, unknown>): Task {
  const title = stringField(body, 'title') ?? '';
  const description = stringField(body, 'description') ?? '';
  const tags = stringListField(body, 'tags') ?? [];
  const violation = checkNewTask({ title, description, tags });
  if (violation) throw badRequest(violation);
  // Trimmed like the reference gRPC server does, so both store the same title.
  return store.create({ title: title.trim(), description, tags });
}

function updateTask(store: TaskStore, id: string, body: Record<string, unknown>): Task {
  const title = stringField(body, 'title');
  const description = stringField(body, 'description');
  // An absent status means "leave it", as TASK_STATUS_UNSPECIFIED does in the proto.
  const status = (stringField(body, 'status') ?? 'TASK_STATUS_UNSPECIFIED') as TaskStatus;
  const violation = checkChanges({ title, description, status });
  if (violation) throw badRequest(violation);
  const task = store.update(id, {
    title: title?.trim(),
    description,
    status: status === 'TASK_STATUS_UNSPECIFIED' ? undefined : status,
  });
  return task ?? throwError(noSuchTask(id));
}

/** ?status=NAME or ?tag=NAME, at most one of them (like the proto's oneof). */
function filterFrom(query: URLSearchParams): TaskFilter {
  const status = query.get('status');
  const tag = query.get('tag');
  if (status !== null && tag !== null) throw new HttpError(400, 'status, tag: give at most one filter');
  if (status !== null) {
    const violation = checkStatus(status as TaskStatus, { allowUnspecified: false });
    if (violation) throw badRequest(violation);
    return { status: status as TaskStatus };
  }
  return tag !== null ? { tag } : {};
}

/** Server-Sent Events: one `data:` message per store event, until the client leaves or the server stops. */
function watchTasks(store: TaskStore, request: http.IncomingMessage, response: http.ServerResponse): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  response.flushHeaders(); // the client sees 200 at once: it is subscribed from here on
  const unsubscribe = store.subscribe(
    (event) => {
      response.write(encodeEventMessage(event));
      if (response.writableLength > MAX_WATCHER_BACKLOG_BYTES) response.destroy(); // a stuck reader
    },
    () => response.end(), // the server is shutting down
  );
  // 'close' fires once, whoever ends the connection: the client, a destroy or end().
  response.on('close', unsubscribe);
  request.resume();
}

async function readJsonBody(request: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body: must be at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body: is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'body: must be a JSON object');
  return body as Record<string, unknown>;
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new HttpError(400, `${name}: must be a string`);
  return value;
}

function stringListField(body: Record<string, unknown>, name: string): string[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new HttpError(400, `${name}: must be a list of strings`);
  }
  return value as string[];
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'id: is not a task id');
  }
}

function methodNotAllowed(response: http.ServerResponse, allowed: string): HttpError {
  response.setHeader('allow', allowed);
  return new HttpError(405, `method not allowed (use ${allowed})`);
}

function throwError(error: Error): never {
  throw error;
}

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  sendRaw(response, status, JSON.stringify(body));
}

function sendRaw(response: http.ServerResponse, status: number, json: string): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  });
  response.end(json);
}

function sendError(response: http.ServerResponse, error: unknown): void {
  if (!(error instanceof HttpError)) console.error('REST twin: unexpected error:', error);
  const status = error instanceof HttpError ? error.status : 500;
  const message = error instanceof HttpError ? error.message : 'internal error';
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(response, status, { error: message });
}

/** `main`: listen, print one "listening on" line, stop cleanly on SIGINT/SIGTERM (a second signal stops at once). */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const store = new TaskStore();
  // As the gRPC server does: lets a test see that a closed SSE watcher is forgotten.
  if (process.env[DIAGNOSTICS_ENV] === '1') {
    store.onSubscriberCountChange = (count) => console.log(diagnosticsLine.format({ subscribers: count }));
  }
  let running: RunningRestServer;
  try {
    // --host/--port as for the gRPC servers; without --port, 8080 (not PORT, which names the gRPC port).
    running = await startRestServer(parseAddress(argv, { PORT: String(DEFAULT_REST_PORT) }), store);
  } catch (error) {
    console.error(`Could not start the REST server: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1); // nothing was printed on stdout yet
  }
  console.log(`REST server listening on ${formatAddress(running)}`);
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) process.exit(1); // a second signal: stop at once
    // Its last output is long written (a line at start, diagnostics): nothing is pending.
    void running.shutdown().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

if (isEntryPoint(import.meta.url)) await main();
