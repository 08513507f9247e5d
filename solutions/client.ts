// Reference solution: the TaskManager client (PHASES.md, Phases 2 to 6).
// `npm run client -- --impl solutions` runs the demo (lib/client-demo.ts), which
// calls the functions below and prints what they return.
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { AUTHORIZATION_KEY } from '#lib/auth.ts';
import { isEntryPoint } from '#lib/cli.ts';
import { runClientDemo } from '#lib/client-demo.ts';
import { type FetchResult, isServiceError } from '#lib/client-runtime.ts';
import {
  type CreateTaskRequest,
  type ImportTasksResponse,
  type ListTasksRequest,
  LOADER_OPTIONS,
  PROTO_FILE,
  type ProtoGrpcType,
  type SyncTasksRequest,
  type SyncTasksResponse,
  type Task,
  type TaskEvent,
  type TaskManagerClient,
  type UpdateTaskRequest,
} from '#lib/proto.ts';

// Load the contract at run time, as the server does.
const packageDefinition = protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS);
const { taskmanager } = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;

// A client (a "stub") has one method per RPC. It opens one channel to `address`:
// one HTTP/2 connection that carries every call, streams included.
export function createClient(address: string, options: grpc.ClientOptions = {}): TaskManagerClient {
  return new taskmanager.TaskManager(address, grpc.credentials.createInsecure(), options);
}

// Phase 2, step 6: the client side of the five unary calls. Each one sends a
// request and wraps the callback in a Promise: resolve with the answer, reject
// with the error (a grpc.ServiceError, with .code and .details).
export function createTask(client: TaskManagerClient, request: CreateTaskRequest): Promise<Task> {
  return new Promise((resolve, reject) => {
    client.CreateTask(request, (error, response) => {
      if (error) reject(error);
      else resolve(response!.task!);
    });
  });
}

export function getTask(client: TaskManagerClient, id: string, options: grpc.CallOptions = {}): Promise<Task> {
  return new Promise((resolve, reject) => {
    client.GetTask({ id }, options, (error, response) => {
      if (error) reject(error);
      else resolve(response!.task!);
    });
  });
}

export function updateTask(client: TaskManagerClient, request: UpdateTaskRequest): Promise<Task> {
  return new Promise((resolve, reject) => {
    client.UpdateTask(request, (error, response) => {
      if (error) reject(error);
      else resolve(response!.task!);
    });
  });
}

export function deleteTask(client: TaskManagerClient, id: string): Promise<Task> {
  return new Promise((resolve, reject) => {
    client.DeleteTask({ id }, (error, response) => {
      if (error) reject(error);
      else resolve(response!.task!);
    });
  });
}

export function listTasks(client: TaskManagerClient, request: ListTasksRequest = {}): Promise<Task[]> {
  return new Promise((resolve, reject) => {
    client.ListTasks(request, (error, response) => {
      if (error) reject(error);
      else resolve(response!.tasks);
    });
  });
}

// Phase 3, step 2: open the WatchTasks stream and hand every event to onEvent.
export function watchTasks(client: TaskManagerClient, onEvent: (event: TaskEvent) => void): grpc.ClientReadableStream<TaskEvent> {
  const stream = client.WatchTasks({});
  stream.on('data', onEvent);
  stream.on('error', (error: grpc.ServiceError) => {
    // CANCELLED is us calling stream.cancel(): the normal way to stop watching.
    if (error.code !== grpc.status.CANCELLED) {
      console.error(`WatchTasks stream failed: ${grpc.status[error.code]}: ${error.details}`);
    }
  });
  return stream;
}

// Phase 4, step 4: GetTask, with a failure turned into its status code and details.
// Phase 5, step 4: give up after deadlineMs (the failure is then DEADLINE_EXCEEDED).
export async function fetchTask(client: TaskManagerClient, id: string, deadlineMs?: number): Promise<FetchResult> {
  const options = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
  try {
    return { ok: true, task: await getTask(client, id, options) };
  } catch (error) {
    if (isServiceError(error)) return { ok: false, code: error.code, details: error.details };
    throw error; // not a gRPC failure: a bug, let it surface
  }
}

// Phase 5, step 3: a client interceptor that puts the bearer token on every call.
export function bearerToken(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(AUTHORIZATION_KEY, `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

// Phase 6, step 4: write every message, honouring backpressure, then half-close.
export async function writeAll<T>(call: grpc.ClientWritableStream<T> | grpc.ClientDuplexStream<T, unknown>, messages: T[]): Promise<void> {
  for (const message of messages) {
    // false: grpc-js already holds 16 messages; wait until it has passed them on.
    if (!call.write(message)) await once(call, 'drain');
  }
  call.end(); // half-close: no more messages from us, while the call goes on
}

// Phase 6, step 5: client streaming. Many requests on one call, one answer.
export function importTasks(client: TaskManagerClient, tasks: CreateTaskRequest[]): Promise<ImportTasksResponse> {
  return new Promise((resolve, reject) => {
    const call = client.ImportTasks((error, response) => (error ? reject(error) : resolve(response!)));
    const requests = tasks.map((task) => ({ task })); // each task wrapped as its request
    writeAll(call, requests).catch(reject);
  });
}

// Phase 6, step 6: bidirectional streaming. Write the commands while reading
// what the server sends; after the last command half-close, and read on until
// the server ends the call.
export function syncTasks(
  client: TaskManagerClient,
  commands: SyncTasksRequest[],
  onResponse: (response: SyncTasksResponse) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const call = client.SyncTasks();
    call.on('data', onResponse);
    call.on('error', reject); // the call failed: a grpc.ServiceError with the server's code and details
    call.on('end', () => resolve()); // the server ended the call (after a failure, 'error' came first)
    writeAll(call, commands).catch(reject);
  });
}

// Runs only when this file is the program (`npm run client`), not when the grader imports it.
if (isEntryPoint(import.meta.url)) {
  await runClientDemo({
    createClient,
    createTask,
    getTask,
    updateTask,
    deleteTask,
    listTasks,
    watchTasks,
    fetchTask,
    bearerToken,
    importTasks,
    syncTasks,
  });
}
