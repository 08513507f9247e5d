// Phases 2 to 6: the TaskManager client. Follow PHASES.md; check your work with
// `npm run check -- --phase 2` (then 3, 4, 5, 6).
//
// `npm run client` runs the demo (lib/client-demo.ts): it calls the functions
// below and prints what they return. `npm run watch` prints live events with
// your watchTasks. What is already written: loading the proto and creating the client.
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
import { TodoHumanError } from '#lib/todo.ts';

// Load the contract at run time, as the server does.
const packageDefinition = protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS);
const { taskmanager } = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;

// A client (a "stub") has one method per RPC. It opens one channel to `address`:
// one HTTP/2 connection that carries every call, streams included.
export function createClient(address: string, options: grpc.ClientOptions = {}): TaskManagerClient {
  return new taskmanager.TaskManager(address, grpc.credentials.createInsecure(), options);
}

export function createTask(client: TaskManagerClient, request: CreateTaskRequest): Promise<Task> {
  // TODO(human): Phase 2, step 6. The client side of a unary call: send the
  // request, and turn the callback into a Promise.
  //   return new Promise((resolve, reject) => {
  //     client.CreateTask(request, (error, response) => {
  //       if (error) reject(error);          // a grpc.ServiceError: .code, .details
  //       else resolve(response!.task!);     // CreateTaskResponse { task }
  //     });
  //   });
  throw new TodoHumanError('createTask', 'Phase 2, step 6');
}

export function getTask(client: TaskManagerClient, id: string, options: grpc.CallOptions = {}): Promise<Task> {
  // TODO(human): Phase 2, step 6. The same shape, with the request { id } and
  // the call options: client.GetTask({ id }, options, (error, response) => ...).
  throw new TodoHumanError('getTask', 'Phase 2, step 6');
}

export function updateTask(client: TaskManagerClient, request: UpdateTaskRequest): Promise<Task> {
  // TODO(human): Phase 2, step 6. client.UpdateTask(request, ...): resolve with the updated task.
  throw new TodoHumanError('updateTask', 'Phase 2, step 6');
}

export function deleteTask(client: TaskManagerClient, id: string): Promise<Task> {
  // TODO(human): Phase 2, step 6. client.DeleteTask({ id }, ...): resolve with the deleted task.
  throw new TodoHumanError('deleteTask', 'Phase 2, step 6');
}

export function listTasks(client: TaskManagerClient, request: ListTasksRequest = {}): Promise<Task[]> {
  // TODO(human): Phase 2, step 6. client.ListTasks(request, ...): resolve with response.tasks.
  throw new TodoHumanError('listTasks', 'Phase 2, step 6');
}

export function watchTasks(client: TaskManagerClient, onEvent: (event: TaskEvent) => void): grpc.ClientReadableStream<TaskEvent> {
  // TODO(human): Phase 3, step 2. Consume the server stream.
  // - const stream = client.WatchTasks({}) opens the call and returns a stream.
  // - stream.on('data', onEvent) hands every TaskEvent to onEvent as it arrives.
  // - stream.on('error', (error: grpc.ServiceError) => ...) runs when the stream
  //   fails. Code grpc.status.CANCELLED means we called stream.cancel() ourselves:
  //   stay quiet then; print any other code and its details with console.error.
  // - Return the stream, so the caller can stream.cancel() when done.
  throw new TodoHumanError('watchTasks', 'Phase 3, step 2');
}

export async function fetchTask(client: TaskManagerClient, id: string, deadlineMs?: number): Promise<FetchResult> {
  // TODO(human): Phase 4, step 4. Call getTask and handle its failure.
  // - try { return { ok: true, task: await getTask(client, id) }; }
  // - A failed call rejects with a grpc.ServiceError: in catch, when
  //   isServiceError(error), return { ok: false, code: error.code, details: error.details }.
  //   Anything else is a bug in the code, not a failed call: throw it again.
  // TODO(human): Phase 5, step 4 (bonus). When deadlineMs is given, pass the
  //   call options { deadline: Date.now() + deadlineMs } to getTask.
  throw new TodoHumanError('fetchTask', 'Phase 4, step 4');
}

export function bearerToken(token: string): grpc.Interceptor {
  // TODO(human): Phase 5, step 3 (bonus). A client interceptor that adds the
  // token to every call's metadata:
  //   return (options, nextCall) =>
  //     new grpc.InterceptingCall(nextCall(options), {
  //       start(metadata, listener, next) { /* metadata.set(AUTHORIZATION_KEY, `Bearer ${token}`) */ next(metadata, listener); },
  //     });
  throw new TodoHumanError('bearerToken', 'Phase 5, step 3');
}

export async function writeAll<T>(call: grpc.ClientWritableStream<T> | grpc.ClientDuplexStream<T, unknown>, messages: T[]): Promise<void> {
  // TODO(human): Phase 6, step 4. Write every message, honouring backpressure, then half-close.
  // - call.write(message) sends one message. It returns false once grpc-js holds
  //   16 that wait to go out: then `await once(call, 'drain')` before the next.
  // - After the last one, call.end(): a half-close, "no more messages from me".
  //   The call goes on: the server can still answer.
  throw new TodoHumanError('writeAll', 'Phase 6, step 4');
}

export function importTasks(client: TaskManagerClient, tasks: CreateTaskRequest[]): Promise<ImportTasksResponse> {
  // TODO(human): Phase 6, step 5. Client streaming: many requests on one call, one answer.
  // - Inside new Promise((resolve, reject) => ...):
  //   const call = client.ImportTasks((error, response) => ...) opens the call and
  //   returns its stream; the callback runs once, with the answer or the failure.
  // - Each task goes out wrapped as its request, { task }:
  //   writeAll(call, tasks.map((task) => ({ task }))).catch(reject).
  throw new TodoHumanError('importTasks', 'Phase 6, step 5');
}

export function syncTasks(
  client: TaskManagerClient,
  commands: SyncTasksRequest[],
  onResponse: (response: SyncTasksResponse) => void,
): Promise<void> {
  // TODO(human): Phase 6, step 6. Bidirectional streaming: write and read on one call.
  // - Inside new Promise((resolve, reject) => ...): const call = client.SyncTasks().
  // - call.on('data', onResponse): each event and answer, as it arrives.
  // - call.on('error', reject): the call failed (a grpc.ServiceError). 'end' follows
  //   a failure too, so also listen for 'error'.
  // - call.on('end', () => resolve()): the server ended the call; nothing more comes.
  // - writeAll(call, commands).catch(reject): the commands, then the half-close.
  throw new TodoHumanError('syncTasks', 'Phase 6, step 6');
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
