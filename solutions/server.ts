// Reference solution: the TaskManager server (PHASES.md, Phases 2 to 6).
// Run it with `npm run server -- --impl solutions`.
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
import { authInterceptor } from './auth.ts';
import { loggingInterceptor } from './interceptors.ts';

// Load the contract at run time: proto-loader parses the .proto file, and
// loadPackageDefinition turns it into a service definition and a client class.
const packageDefinition = protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS);
const { taskmanager } = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;

export function createTaskManagerHandlers(store: TaskStore): TaskManagerHandlers {
  return {
    // Phase 2, step 1
    CreateTask(call, callback) {
      const problem = checkNewTask(call.request);
      if (problem) return callback({ code: grpc.status.INVALID_ARGUMENT, details: problem });
      const { title, description, tags } = call.request;
      const task = store.create({ title: title.trim(), description, tags });
      callback(null, { task });
    },

    // Phase 2, step 2
    GetTask(call, callback) {
      const { id } = call.request;
      const problem = checkId(id);
      if (problem) return callback({ code: grpc.status.INVALID_ARGUMENT, details: problem });
      const task = store.get(id);
      if (!task) return callback({ code: grpc.status.NOT_FOUND, details: `no task with id "${id}"` });
      callback(null, { task });
    },

    // Phase 2, step 3
    UpdateTask(call, callback) {
      const { id, title, description, status } = call.request;
      const problem = checkId(id) ?? checkChanges({ title, description, status });
      if (problem) return callback({ code: grpc.status.INVALID_ARGUMENT, details: problem });
      const task = store.update(id, {
        title: title?.trim(),
        description,
        status: status === 'TASK_STATUS_UNSPECIFIED' ? undefined : status,
      });
      if (!task) return callback({ code: grpc.status.NOT_FOUND, details: `no task with id "${id}"` });
      callback(null, { task });
    },

    // Phase 2, step 4
    DeleteTask(call, callback) {
      const { id } = call.request;
      const problem = checkId(id);
      if (problem) return callback({ code: grpc.status.INVALID_ARGUMENT, details: problem });
      const task = store.delete(id);
      if (!task) return callback({ code: grpc.status.NOT_FOUND, details: `no task with id "${id}"` });
      callback(null, { task });
    },

    // Phase 2, step 5
    ListTasks(call, callback) {
      const { filter, status, tag } = call.request;
      if (filter === 'status') {
        const problem = checkStatus(status!, { allowUnspecified: false });
        if (problem) return callback({ code: grpc.status.INVALID_ARGUMENT, details: problem });
        return callback(null, { tasks: store.list({ status: status! }) });
      }
      if (filter === 'tag') {
        const problem = checkTagFilter(tag!);
        if (problem) return callback({ code: grpc.status.INVALID_ARGUMENT, details: problem });
        return callback(null, { tasks: store.list({ tag: tag! }) });
      }
      callback(null, { tasks: store.list() });
    },

    // Phase 3, step 1
    WatchTasks(call) {
      const stream = boundedEventStream(call);
      const unsubscribe = store.subscribe(
        (event) => {
          if (!stream.write(event)) unsubscribe(); // cut off: it stopped reading
        },
        () => stream.end(), // the server is shutting down
      );
      call.on('cancelled', unsubscribe);
    },

    // Phase 6, step 1
    ImportTasks(call, callback) {
      const summary: ImportTasksResponse = { created_count: 0, rejected: [] };
      let index = 0;
      call.on('data', ({ task }: ImportTasksRequest__Output) => {
        if (index === LIMITS.importMaxTasks) {
          // Answering ends the call: grpc-js reads nothing more from this client.
          const details = `an import takes at most ${LIMITS.importMaxTasks} tasks: the first ${LIMITS.importMaxTasks} were imported; send the rest in another call`;
          return callback({ code: grpc.status.RESOURCE_EXHAUSTED, details });
        }
        const problem = task ? checkNewTask(task) : 'task: must be set';
        if (problem) {
          summary.rejected.push({ index, reason: problem });
        } else if (task) {
          store.create({ title: task.title.trim(), description: task.description, tags: task.tags });
          summary.created_count += 1;
        }
        index += 1;
      });
      // The client half-closed: every item has been read. Answer once, with the summary.
      call.on('end', () => callback(null, summary));
    },

    // Phase 6, step 2
    SyncTasks(call) {
      // The changes of every client, this one's included: as in WatchTasks, each event wrapped as { event }.
      const stream = boundedEventStream(call);
      const unsubscribe = store.subscribe(
        (event) => {
          if (!stream.write({ event })) unsubscribe(); // cut off: it stopped reading
        },
        () => stream.end(), // shutdown: the session ends too
      );
      call.on('cancelled', unsubscribe); // the client went away, or the call is over
      // The commands, one at a time, in the order they were sent: apply, then answer.
      let commandIndex = 0;
      call.on('data', (command: SyncTasksRequest__Output) => {
        stream.write({ result: { command_index: commandIndex++, ...runCommand(store, command) } });
      });
      // The client half-closed: every command has been answered, so end the call (OK).
      call.on('end', () => stream.end());
    },
  };
}

/** A command's outcome: the task it left, or the status its unary RPC would have answered. */
type CommandOutcome = { task: Task } | { code: grpc.status; details: string };

// Phase 6, step 3: a SyncTasks command follows the rules of the unary RPC it stands for.
export function runCommand(store: TaskStore, { create, update, delete: remove }: SyncTasksRequest__Output): CommandOutcome {
  if (create) {
    const problem = checkNewTask(create);
    if (problem) return { code: grpc.status.INVALID_ARGUMENT, details: problem };
    return { task: store.create({ title: create.title.trim(), description: create.description, tags: create.tags }) };
  }
  if (update) {
    const { id, title, description, status } = update;
    const problem = checkId(id) ?? checkChanges({ title, description, status });
    if (problem) return { code: grpc.status.INVALID_ARGUMENT, details: problem };
    const task = store.update(id, {
      title: title?.trim(),
      description,
      status: status === 'TASK_STATUS_UNSPECIFIED' ? undefined : status,
    });
    return task ? { task } : { code: grpc.status.NOT_FOUND, details: `no task with id "${id}"` };
  }
  if (remove) {
    const problem = checkId(remove.id);
    if (problem) return { code: grpc.status.INVALID_ARGUMENT, details: problem };
    const task = store.delete(remove.id);
    return task ? { task } : { code: grpc.status.NOT_FOUND, details: `no task with id "${remove.id}"` };
  }
  return { code: grpc.status.INVALID_ARGUMENT, details: 'command: must be create, update or delete' };
}

// Phase 4, step 3 and Phase 5, step 2: the first in the list is the outermost,
// so the logger also sees, and logs, the calls auth refuses.
export const interceptors: grpc.ServerInterceptor[] = [loggingInterceptor, authInterceptor];

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
