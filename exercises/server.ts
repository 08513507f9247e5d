// Phases 2 to 6: the TaskManager server. Follow PHASES.md; check your work with
// `npm run check -- --phase 2` (then 3, 4, 5, 6). Run it with `npm run server`.
//
// What is already written: loading the proto, creating the gRPC server,
// registering the handlers, listening (main() at the bottom). The store
// (lib/store.ts) keeps the tasks and announces every change; your handlers
// translate between gRPC and the store.
//
// A unary handler receives `call.request` (the request message) and answers
// exactly once through `callback`:
//   success: callback(null, { task })
//   failure: return callback({ code: grpc.status.NOT_FOUND, details: 'why' })
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { isEntryPoint } from '#lib/cli.ts';
import { boundedEventStream } from '#lib/event-stream.ts';
import {
  type ImportTasksRequest__Output,
  type ImportTasksResponse,
  LOADER_OPTIONS,
  PROTO_FILE,
  type ProtoGrpcType,
  type SyncTasksRequest__Output,
  type Task,
  type TaskManagerHandlers,
} from '#lib/proto.ts';
import {
  addHealthAndReflection,
  addressFromCommandLine,
  cannotListen,
  catchHandlerErrors,
  SERVER_OPTIONS,
  serveUntilStopped,
} from '#lib/server-runtime.ts';
import { TaskStore } from '#lib/store.ts';
import { checkChanges, checkId, checkNewTask, checkStatus, checkTagFilter, LIMITS } from '#lib/task-rules.ts';
import { todoHuman } from '#lib/todo.ts';

// Load the contract at run time: proto-loader parses the .proto file, and
// loadPackageDefinition turns it into a service definition and a client class.
const packageDefinition = protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS);
const { taskmanager } = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;

export function createTaskManagerHandlers(store: TaskStore): TaskManagerHandlers {
  return {
    CreateTask(call, callback) {
      // TODO(human): Phase 2, step 1.
      // - checkNewTask(call.request) returns undefined, or what is wrong, naming
      //   the field ("title: must not be blank"): answer INVALID_ARGUMENT with
      //   it as the details, and return.
      // - Otherwise store.create({ title: title.trim(), description, tags }) and
      //   answer callback(null, { task }). The store sets id, status and timestamps.
      callback(todoHuman('CreateTask', 'Phase 2, step 1'));
    },

    GetTask(call, callback) {
      // TODO(human): Phase 2, step 2.
      // - checkId(id) first (INVALID_ARGUMENT, as above).
      // - store.get(id) returns the task, or undefined: then answer NOT_FOUND
      //   with the id in the details.
      callback(todoHuman('GetTask', 'Phase 2, step 2'));
    },

    UpdateTask(call, callback) {
      // TODO(human): Phase 2, step 3.
      // - title and description are `optional`: undefined means "not sent, leave it".
      // - checkId(id) ?? checkChanges({ title, description, status }): a blank
      //   title, or a status number this server does not know, is INVALID_ARGUMENT.
      // - store.update(id, { title, description, status }) returns the updated
      //   task, or undefined when there is none (then: NOT_FOUND). Pass the title
      //   trimmed (title?.trim() keeps a title not sent undefined), and status
      //   undefined when it is 'TASK_STATUS_UNSPECIFIED', which means "leave it".
      callback(todoHuman('UpdateTask', 'Phase 2, step 3'));
    },

    DeleteTask(call, callback) {
      // TODO(human): Phase 2, step 4.
      // - checkId(id), then store.delete(id): the deleted task, or undefined (NOT_FOUND).
      // - Answer with the deleted task: callback(null, { task }).
      callback(todoHuman('DeleteTask', 'Phase 2, step 4'));
    },

    ListTasks(call, callback) {
      // TODO(human): Phase 2, step 5.
      // - `filter` is a oneof: call.request.filter is 'status', 'tag' or undefined.
      // - 'status': checkStatus(status, { allowUnspecified: false }), then store.list({ status }).
      // - 'tag': checkTagFilter(tag), then store.list({ tag }). Neither: store.list().
      // - Answer callback(null, { tasks }), also when the list is empty.
      callback(todoHuman('ListTasks', 'Phase 2, step 5'));
    },

    WatchTasks(call) {
      // TODO(human): Phase 3, step 1. A server-streaming handler has no callback:
      // it writes as many messages as it likes, and ends the stream when done.
      // - const stream = boundedEventStream(call): stream.write(event) sends an
      //   event without buffering for ever (it returns false once it cut off a
      //   watcher that stopped reading); stream.end() ends the stream with OK.
      // - store.subscribe(onEvent, onStoreClosed) calls onEvent(event) for every
      //   change (each event is already a TaskEvent message) and onStoreClosed at
      //   server shutdown. It returns an unsubscribe function.
      // - Unsubscribe when the client goes away: call.on('cancelled', unsubscribe).
      call.emit('error', todoHuman('WatchTasks', 'Phase 3, step 1'));
    },

    ImportTasks(call, callback) {
      // TODO(human): Phase 6, step 1. Client streaming: `call` is a stream of
      // requests, and `callback` answers once, for the whole stream.
      // - Start a summary: const summary: ImportTasksResponse = { created_count: 0, rejected: [] }.
      // - call.on('data', ({ task }: ImportTasksRequest__Output) => ...) runs for each
      //   item, in the order sent; count them (the first is index 0).
      //   - A task that checkNewTask(task) refuses, or none at all (null): push
      //     { index, reason } to summary.rejected, and go on with the next item.
      //   - A good one: store.create(...) as in CreateTask; count it in created_count.
      //   - Item LIMITS.importMaxTasks is one too many: answer RESOURCE_EXHAUSTED
      //     with the limit in the details. Answering ends the call: grpc-js
      //     reads nothing more from this client.
      // - call.on('end', ...) runs once the client half-closed: every item has
      //   been read. Answer there: callback(null, summary).
      callback(todoHuman('ImportTasks', 'Phase 6, step 1'));
    },

    SyncTasks(call) {
      // TODO(human): Phase 6, step 2. Bidirectional streaming: `call` reads the
      // client's commands and writes to the client, both at once.
      // - The events of every client: what your WatchTasks does, writing
      //   { event } instead of event: boundedEventStream, store.subscribe (its
      //   second callback ends the session at shutdown), unsubscribe on 'cancelled'.
      // - call.on('data', (command: SyncTasksRequest__Output) => ...) for each
      //   command, in order: stream.write({ result: { command_index, ...runCommand(store, command) } }),
      //   where command_index counts the commands (0 for the first).
      // - call.on('end', ...) runs once the client half-closed: every command
      //   has been answered, so end the call there (stream.end()).
      call.emit('error', todoHuman('SyncTasks', 'Phase 6, step 2'));
    },
  };
}

/** A command's outcome: the task it left, or the status its unary RPC would have answered. */
type CommandOutcome = { task: Task } | { code: grpc.status; details: string };

export function runCommand(store: TaskStore, { create, update, delete: remove }: SyncTasksRequest__Output): CommandOutcome {
  // TODO(human): Phase 6, step 3. A command follows the rules of the unary RPC it stands for.
  // - One of create, update and remove is set (a oneof): for create do what
  //   CreateTask does, for update what UpdateTask does, for remove what DeleteTask does.
  // - Where the handler calls callback(null, { task }), return { task }; where it
  //   answers callback({ code, details }), return { code, details }.
  // - None set: return { code: grpc.status.INVALID_ARGUMENT, details: 'command: must be create, update or delete' }.
  const { code, details } = todoHuman('runCommand', 'Phase 6, step 3');
  return { code, details };
}

// TODO(human): Phase 4, step 3. Import loggingInterceptor from './interceptors.ts'
// and put it in this list, so every RPC goes through it.
// TODO(human): Phase 5, step 2 (bonus). Import authInterceptor from './auth.ts' and
// add it AFTER loggingInterceptor: the first in the list is the outermost, and
// the logger must see the calls that auth refuses.
export const interceptors: grpc.ServerInterceptor[] = [];

function main(): void {
  const store = new TaskStore();
  // One server; SERVER_OPTIONS sets limits (lib/server-runtime.ts), interceptors wrap every call.
  const server = new grpc.Server({ ...SERVER_OPTIONS, interceptors });
  // Register the handlers under the service the proto defines. catchHandlerErrors:
  // a handler that throws answers INTERNAL instead of crashing the server (Phase 2, key question).
  server.addService(taskmanager.TaskManager.service, catchHandlerErrors(createTaskManagerHandlers(store)));
  // Health checks and reflection, for tools such as grpcurl (not needed by your code).
  const health = addHealthAndReflection(server, packageDefinition);

  // localhost:50051, or --host/--port. No TLS here: createInsecure() (Phase 5 discusses TLS).
  const address = addressFromCommandLine();
  server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) return cannotListen(address, error);
    // Prints "listening on", and stops cleanly on Ctrl+C (lib/server-runtime.ts).
    serveUntilStopped({ server, store, health }, address, port);
  });
}

// Runs only when this file is the program (`npm run server`), not when the grader imports it.
if (isEntryPoint(import.meta.url)) main();
