// Phases 2 and 3: the TaskManager server. Follow PHASES.md; check your work
// with `npm run check -- --phase 2` (and 3).
//
// The boilerplate is done: `serve()` at the bottom creates the gRPC server,
// registers these handlers, listens on localhost:50051 and stops on Ctrl+C.
// The store (lib/store.ts) already keeps tasks and announces every change;
// your handlers translate between gRPC and the store.
//
// A unary handler receives `call.request` (the request message) and answers
// exactly once through `callback`:
//   success: callback(null, { task })
//   failure: return callback({ code: grpc.status.NOT_FOUND, details: 'why' })
import * as grpc from '@grpc/grpc-js';
import { isEntryPoint } from '#lib/cli.ts';
import { serve, type TaskManagerHandlers, type TaskStore, todoHuman } from '#lib/server-runtime.ts';

export function createTaskManagerHandlers(store: TaskStore): TaskManagerHandlers {
  return {
    CreateTask(call, callback) {
      // TODO(human): Phase 2, step 1.
      // - If call.request.title is blank (empty or only spaces), answer
      //   INVALID_ARGUMENT with details naming the field, e.g. "title: must not be blank".
      // - Otherwise store it: store.create({ title, description, tags }),
      //   and answer callback(null, { task }). The store sets id, status and timestamps.
      callback(todoHuman('CreateTask', 'Phase 2, step 1'));
    },

    GetTask(call, callback) {
      // TODO(human): Phase 2, step 2.
      // - store.get(id) returns the task, or undefined when there is none.
      // - No task: answer NOT_FOUND with the id in the details.
      callback(todoHuman('GetTask', 'Phase 2, step 2'));
    },

    UpdateTask(call, callback) {
      // TODO(human): Phase 2, step 3.
      // - title and description are `optional`: undefined means "not sent, leave it".
      //   A title that IS sent but blank is INVALID_ARGUMENT.
      // - status 'TASK_STATUS_UNSPECIFIED' means "leave it"; pass undefined for it.
      //   A status number this server does not know arrives as a plain number:
      //   INVALID_ARGUMENT.
      // - store.update(id, { title, description, status }) returns the updated
      //   task, or undefined when there is none (then: NOT_FOUND).
      callback(todoHuman('UpdateTask', 'Phase 2, step 3'));
    },

    DeleteTask(call, callback) {
      // TODO(human): Phase 2, step 4.
      // - store.delete(id) returns the deleted task, or undefined (then: NOT_FOUND).
      // - Answer with the deleted task: callback(null, { task }).
      callback(todoHuman('DeleteTask', 'Phase 2, step 4'));
    },

    ListTasks(call, callback) {
      // TODO(human): Phase 2, step 5.
      // - `filter` is a oneof: call.request.filter is 'status', 'tag' or undefined.
      // - store.list({ status }), store.list({ tag }) or store.list().
      // - Answer callback(null, { tasks }).
      callback(todoHuman('ListTasks', 'Phase 2, step 5'));
    },

    WatchTasks(call) {
      // TODO(human): Phase 3, step 1. A server-streaming handler has no callback:
      // it writes as many messages as it likes with call.write(message).
      // - store.subscribe(onEvent, onStoreClosed) calls onEvent(event) for every
      //   change; each event is already a TaskEvent message: call.write(event).
      //   onStoreClosed runs at server shutdown: end the stream there (call.end()).
      // - subscribe returns an unsubscribe function. Call it when the client goes
      //   away: call.on('cancelled', unsubscribe). Otherwise the store keeps
      //   writing to a stream nobody reads.
      call.emit('error', todoHuman('WatchTasks', 'Phase 3, step 1'));
    },
  };
}

// TODO(human): Phase 4, step 3. Import loggingInterceptor from './interceptors.ts'
// and put it in this list, so every RPC goes through it.
// TODO(human): Phase 5, step 2 (bonus). Import authInterceptor from './auth.ts' and
// add it AFTER loggingInterceptor: the first in the list is the outermost, and
// the logger must see the calls that auth rejects.
export const interceptors: grpc.ServerInterceptor[] = [];

// Runs only when this file is the program (`npm run server`), not when the checker imports it.
if (isEntryPoint(import.meta.url)) {
  await serve({ createHandlers: createTaskManagerHandlers, interceptors });
}
