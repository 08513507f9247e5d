// Reference solution: the TaskManager server (PHASES.md, Phases 2 to 4).
import * as grpc from '@grpc/grpc-js';
import { isEntryPoint } from '../lib/cli.ts';
import { serve, type TaskManagerHandlers, type TaskStore } from '../lib/server-runtime.ts';
import type { TaskStatus } from '../lib/proto.ts';
import { loggingInterceptor } from './interceptors.ts';

const KNOWN_STATUSES: readonly TaskStatus[] = ['TASK_STATUS_TODO', 'TASK_STATUS_IN_PROGRESS', 'TASK_STATUS_DONE'];

export function createTaskManagerHandlers(store: TaskStore): TaskManagerHandlers {
  return {
    // Phase 2, step 1
    CreateTask(call, callback) {
      const title = call.request.title.trim();
      if (title === '') {
        return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'title: must not be blank' });
      }
      const task = store.create({ title, description: call.request.description, tags: call.request.tags });
      callback(null, { task });
    },

    // Phase 2, step 2
    GetTask(call, callback) {
      const task = store.get(call.request.id);
      if (!task) {
        return callback({ code: grpc.status.NOT_FOUND, details: `no task with id "${call.request.id}"` });
      }
      callback(null, { task });
    },

    // Phase 2, step 3
    UpdateTask(call, callback) {
      const { id, title, description, status } = call.request;
      // `optional` fields are undefined when the client did not send them.
      if (title !== undefined && title.trim() === '') {
        return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'title: must not be blank when given' });
      }
      // An enum number this server does not know arrives as a plain number.
      if (status !== 'TASK_STATUS_UNSPECIFIED' && !KNOWN_STATUSES.includes(status)) {
        return callback({ code: grpc.status.INVALID_ARGUMENT, details: `status: ${status} is not a known TaskStatus` });
      }
      const task = store.update(id, {
        title: title?.trim(),
        description,
        status: status === 'TASK_STATUS_UNSPECIFIED' ? undefined : status,
      });
      if (!task) {
        return callback({ code: grpc.status.NOT_FOUND, details: `no task with id "${id}"` });
      }
      callback(null, { task });
    },

    // Phase 2, step 4
    DeleteTask(call, callback) {
      const task = store.delete(call.request.id);
      if (!task) {
        return callback({ code: grpc.status.NOT_FOUND, details: `no task with id "${call.request.id}"` });
      }
      callback(null, { task });
    },

    // Phase 2, step 5
    ListTasks(call, callback) {
      const { filter, status, tag } = call.request;
      // `filter` names the member of the oneof that is set, if any.
      if (filter === 'status') return callback(null, { tasks: store.list({ status: status! }) });
      if (filter === 'tag') return callback(null, { tasks: store.list({ tag: tag! }) });
      callback(null, { tasks: store.list() });
    },

    // Phase 3, step 1
    WatchTasks(call) {
      const unsubscribe = store.subscribe(
        (event) => call.write(event),
        () => call.end(), // the server is shutting down: end the stream with OK
      );
      // 'cancelled' fires when the client goes away (and, harmlessly, after end()).
      call.on('cancelled', unsubscribe);
    },
  };
}

// Phase 4, step 3: every RPC goes through the logging interceptor.
export const interceptors: grpc.ServerInterceptor[] = [loggingInterceptor];

if (isEntryPoint(import.meta.url)) {
  await serve({ createHandlers: createTaskManagerHandlers, interceptors });
}
