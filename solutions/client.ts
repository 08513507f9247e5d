// Reference solution: the TaskManager client (PHASES.md, Phases 2 to 5).
// `npm run client -- --impl solutions` runs the demo (lib/client-demo.ts), which
// calls the functions below and prints what they return.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { AUTHORIZATION_KEY } from '#lib/auth.ts';
import { isEntryPoint } from '#lib/cli.ts';
import { runClientDemo } from '#lib/client-demo.ts';
import { type FetchResult, isServiceError } from '#lib/client-runtime.ts';
import {
  type CreateTaskRequest,
  type ListTasksRequest,
  LOADER_OPTIONS,
  PROTO_FILE,
  type ProtoGrpcType,
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

// Runs only when this file is the program (`npm run client`), not when the grader imports it.
if (isEntryPoint(import.meta.url)) {
  await runClientDemo({ createClient, createTask, getTask, updateTask, deleteTask, listTasks, watchTasks, fetchTask, bearerToken });
}
