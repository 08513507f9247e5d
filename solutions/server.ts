// Reference solution: the TaskManager server (PHASES.md, Phases 2 to 4).
import * as grpc from '@grpc/grpc-js';
import { isEntryPoint } from '#lib/cli.ts';
import { boundedEventStream } from '#lib/event-stream.ts';
import { serve, type TaskManagerHandlers, type TaskStore } from '#lib/server-runtime.ts';
import { checkChanges, checkId, checkNewTask, checkStatus, describeViolation, type RuleViolation } from '#lib/task-rules.ts';
import { authInterceptor } from './auth.ts';
import { loggingInterceptor } from './interceptors.ts';

// The answer to a request that breaks a rule of lib/task-rules.ts: the details name the field.
const invalid = (violation: RuleViolation) => ({ code: grpc.status.INVALID_ARGUMENT, details: describeViolation(violation) });
const notFound = (id: string) => ({ code: grpc.status.NOT_FOUND, details: `no task with id "${id}"` });

export function createTaskManagerHandlers(store: TaskStore): TaskManagerHandlers {
  return {
    // Phase 2, step 1
    CreateTask(call, callback) {
      const violation = checkNewTask(call.request); // e.g. "title: must not be blank"
      if (violation) return callback(invalid(violation));
      const { title, description, tags } = call.request;
      const task = store.create({ title: title.trim(), description, tags });
      callback(null, { task });
    },

    // Phase 2, step 2
    GetTask(call, callback) {
      const { id } = call.request;
      const violation = checkId(id);
      if (violation) return callback(invalid(violation));
      const task = store.get(id);
      if (!task) return callback(notFound(id));
      callback(null, { task });
    },

    // Phase 2, step 3
    UpdateTask(call, callback) {
      // `optional` fields are undefined when the client did not send them; an
      // enum number this server does not know arrives as a plain number.
      const { id, title, description, status } = call.request;
      const violation = checkId(id) ?? checkChanges({ title, description, status });
      if (violation) return callback(invalid(violation));
      const task = store.update(id, {
        title: title?.trim(),
        description,
        status: status === 'TASK_STATUS_UNSPECIFIED' ? undefined : status,
      });
      if (!task) return callback(notFound(id));
      callback(null, { task });
    },

    // Phase 2, step 4
    DeleteTask(call, callback) {
      const { id } = call.request;
      const violation = checkId(id);
      if (violation) return callback(invalid(violation));
      const task = store.delete(id);
      if (!task) return callback(notFound(id));
      callback(null, { task });
    },

    // Phase 2, step 5
    ListTasks(call, callback) {
      // `filter` names the member of the oneof that is set, if any.
      const { filter, status, tag } = call.request;
      if (filter === 'status') {
        const violation = checkStatus(status!, { allowUnspecified: false });
        if (violation) return callback(invalid(violation));
        return callback(null, { tasks: store.list({ status: status! }) });
      }
      if (filter === 'tag') {
        if (tag!.trim() === '') return callback(invalid({ field: 'tag', problem: 'must not be blank' }));
        return callback(null, { tasks: store.list({ tag: tag! }) });
      }
      callback(null, { tasks: store.list() });
    },

    // Phase 3, step 1
    WatchTasks(call) {
      // A watcher that stops reading is cut off instead of making us buffer for ever.
      const stream = boundedEventStream(call);
      const unsubscribe = store.subscribe(
        (event) => {
          if (!stream.write(event)) unsubscribe();
        },
        () => stream.end(), // the server is shutting down: end the stream with OK
      );
      // 'cancelled' fires when the client goes away (and, harmlessly, after end()).
      call.on('cancelled', unsubscribe);
      // A client that cancelled before this handler ran fired 'cancelled' already.
      if (call.cancelled) unsubscribe();
    },
  };
}

// Phase 4, step 3: every RPC goes through the logging interceptor.
// Phase 5, step 2: then through authentication. The first in the list is the
// outermost, so the logger also sees (and logs) the calls auth rejects.
export const interceptors: grpc.ServerInterceptor[] = [loggingInterceptor, authInterceptor];

if (isEntryPoint(import.meta.url)) {
  await serve({ createHandlers: createTaskManagerHandlers, interceptors });
}
