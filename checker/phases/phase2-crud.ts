// Phase 2: the unary CRUD handlers of the learner's server.
import { isDeepStrictEqual } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { statusName, type Task } from '../../lib/client-runtime.ts';
import { type Harness, summarize } from '../harness.ts';
import { CheckFailure, type Phase } from '../types.ts';

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const CLOCK_SLACK_MS = 5000;

/** Fails with expected/received when `actual` is not `expected` (compared as JSON). */
function expectEqual(what: string, expected: unknown, actual: unknown, hint?: string, sent?: { method: string; request: object }): void {
  if (!isDeepStrictEqual(expected, actual)) {
    throw new CheckFailure({
      expected: `${what} = ${JSON.stringify(expected)}`,
      received: `${what} = ${JSON.stringify(actual)}`,
      hint,
      sent,
    });
  }
}

/** The task in a response, or a failure explaining that it is missing. */
function taskOf(method: string, request: object, response: { task?: Task | null }): Task {
  if (!response.task) {
    throw new CheckFailure({
      sent: { method, request },
      expected: `a ${method}Response with its task`,
      received: `${summarize(response)} (no task)`,
      hint: 'answer callback(null, { task }): the response message has a field named task',
    });
  }
  return response.task;
}

function expectTimestamp(what: string, value: string, notBefore: number): void {
  const time = Date.parse(value);
  if (!ISO_UTC.test(value) || Number.isNaN(time)) {
    throw new CheckFailure({
      expected: `${what} as an ISO-8601 UTC timestamp like 2026-01-31T09:30:00.000Z`,
      received: JSON.stringify(value),
      hint: 'new Date().toISOString() (the store does this for you)',
    });
  }
  if (time < notBefore - CLOCK_SLACK_MS || time > Date.now() + CLOCK_SLACK_MS) {
    throw new CheckFailure({ expected: `${what} close to now`, received: value });
  }
}

/** A task created as a step of another check (so a broken CreateTask makes that check "not run"). */
async function create(harness: Harness, title: string, extra: { description?: string; tags?: string[] } = {}): Promise<Task> {
  const request = { title, ...extra };
  return taskOf('CreateTask', request, await harness.needOk('learner', 'CreateTask', request));
}

const uniqueSuffix = () => Math.random().toString(36).slice(2, 8);

export const phase2: Phase = {
  number: 2,
  title: 'Unary RPCs: CreateTask, GetTask, UpdateTask, DeleteTask, ListTasks',
  files: ['exercises/server.ts'],
  prepare: (harness) => void harness.learner().catch(() => {}),
  starting: (harness) => `Starting your server… (${harness.implFile('server.ts')})`,
  checks: [
    {
      name: 'CreateTask returns the new task',
      proves: 'a created task has an id, status TODO, ISO timestamps and exactly the title, description and tags sent',
      hint: 'store.create({ title, description, tags }) returns the task; answer callback(null, { task })',
      moreHint:
        'Read the request, hand it to the store, answer with the task it returns: `const { title, description, tags } = call.request;`, then `store.create({ title: title.trim(), description, tags })`, then `callback(null, { task })`. CreateTaskResponse has one field, task: `callback(null, task)` without the braces sends an empty response. The store sets id, status and both timestamps: do not make them up',
      async run(harness) {
        const request = { title: 'Write the checker', description: 'phase 2', tags: ['checker', 'phase-2'] };
        const before = Date.now();
        const task = taskOf('CreateTask', request, await harness.expectOk('learner', 'CreateTask', request));
        const sent = { method: 'CreateTask', request };
        if (task.id.trim() === '') {
          throw new CheckFailure({
            sent,
            expected: 'a non-empty id',
            received: 'id = ""',
            hint: 'let the store choose the id: store.create(...)',
          });
        }
        expectEqual('title', request.title, task.title, undefined, sent);
        expectEqual('description', request.description, task.description, undefined, sent);
        expectEqual('tags', request.tags, task.tags, 'pass call.request.tags to the store', sent);
        expectEqual('status', 'TASK_STATUS_TODO', task.status, 'new tasks start as TASK_STATUS_TODO (the store does this)', sent);
        expectTimestamp('created_at', task.created_at, before);
        expectTimestamp('updated_at', task.updated_at, before);
      },
    },
    {
      name: 'CreateTask rejects a blank title with INVALID_ARGUMENT',
      proves: 'an empty or all-space title is refused with INVALID_ARGUMENT and details naming the field',
      hint: "if (call.request.title.trim() === '') return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'title: must not be blank' })",
      moreHint:
        'Validate before you store, and `return` the error so the code below does not run: `if (title.trim() === "") return callback({ code: grpc.status.INVALID_ARGUMENT, details: "title: must not be blank" });`. exercises/server.ts imports grpc with `import type`, which is erased at run time: change it to `import * as grpc from "@grpc/grpc-js"` to use grpc.status',
      async run(harness) {
        for (const title of ['', '   ']) {
          await harness.expectStatus('learner', 'CreateTask', { title }, grpc.status.INVALID_ARGUMENT, ['title'], this.hint);
        }
      },
    },
    {
      name: 'GetTask returns a stored task',
      proves: 'a task can be read back by its id, unchanged',
      hint: 'const task = store.get(call.request.id); answer callback(null, { task })',
      moreHint:
        '`store.get(call.request.id)` returns the stored task (a Task message already) or undefined. Answer `callback(null, { task })`: GetTaskResponse wraps it in a field named task. The check compares every field with what CreateTask returned, so send the store’s task as it is',
      async run(harness) {
        const created = await create(harness, 'Read me back', { description: 'get', tags: ['get'] });
        const request = { id: created.id };
        const fetched = taskOf('GetTask', request, await harness.expectOk('learner', 'GetTask', request));
        expectEqual('the task', created, fetched, this.hint, { method: 'GetTask', request });
      },
    },
    {
      name: 'GetTask of a missing id answers NOT_FOUND',
      proves: 'an unknown id is NOT_FOUND (not OK with an empty task), and the details say which id',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the hint shows code to write
      hint: 'if (!task) return callback({ code: grpc.status.NOT_FOUND, details: `no task with id "${id}"` })',
      moreHint:
        'When store.get() returns undefined, answer with an error instead of a response, and return: `if (!task) return callback({ code: grpc.status.NOT_FOUND, details: ... })`, with the id in the details text (e.g. no task with id "abc"). `callback(null, { task: undefined })` would send OK with an empty task, which a client cannot tell from a real answer',
      async run(harness) {
        const id = `missing-${uniqueSuffix()}`;
        await harness.expectStatus('learner', 'GetTask', { id }, grpc.status.NOT_FOUND, [id], this.hint);
      },
    },
    {
      name: 'UpdateTask changes only the fields given and moves updated_at',
      proves: 'absent optional fields and an UNSPECIFIED status leave the task as it was; updated_at moves forward',
      hint: 'pass title/description as they come (undefined = not sent) and status only when it is not TASK_STATUS_UNSPECIFIED: store.update(id, { title, description, status })',
      moreHint:
        'With `optional`, call.request.title is undefined when the client did not send it (and "" when it sent an empty one); store.update(id, changes) leaves every undefined field as it is. So pass title and description through unchanged (never `title ?? ""` or `title || ""`), and turn the enum default into undefined: `status: status === "TASK_STATUS_UNSPECIFIED" ? undefined : status`',
      async run(harness) {
        const created = await create(harness, 'Original title', { description: 'keep me', tags: ['keep'] });
        const renameRequest = { id: created.id, title: 'Renamed' };
        const sentAt = Date.now();
        const renamed = taskOf('UpdateTask', renameRequest, await harness.expectOk('learner', 'UpdateTask', renameRequest));
        const renameSent = { method: 'UpdateTask', request: renameRequest };
        expectEqual('title', 'Renamed', renamed.title, undefined, renameSent);
        expectEqual('description (not sent, so unchanged)', 'keep me', renamed.description, this.hint, renameSent);
        expectEqual('status (not sent, so unchanged)', 'TASK_STATUS_TODO', renamed.status, this.hint, renameSent);
        expectEqual('tags (unchanged)', ['keep'], renamed.tags, undefined, renameSent);
        expectEqual('created_at (never changes)', created.created_at, renamed.created_at, undefined, renameSent);
        // ISO strings have millisecond precision: compare with the millisecond the update was sent.
        if (!(Date.parse(renamed.updated_at) >= Math.floor(sentAt) && renamed.updated_at >= created.updated_at)) {
          throw new CheckFailure({
            sent: renameSent,
            expected: `updated_at at or after the update was sent (${new Date(sentAt).toISOString()})`,
            received: `updated_at = ${JSON.stringify(renamed.updated_at)}`,
            hint: 'store.update() sets updated_at; return the task it returns',
          });
        }

        const statusRequest = { id: created.id, status: 'TASK_STATUS_IN_PROGRESS' as const };
        const started = taskOf('UpdateTask', statusRequest, await harness.expectOk('learner', 'UpdateTask', statusRequest));
        const statusSent = { method: 'UpdateTask', request: statusRequest };
        expectEqual('status', 'TASK_STATUS_IN_PROGRESS', started.status, undefined, statusSent);
        expectEqual('title (not sent, so unchanged)', 'Renamed', started.title, this.hint, statusSent);
        expectEqual('description (not sent, so unchanged)', 'keep me', started.description, this.hint, statusSent);
      },
    },
    {
      name: 'UpdateTask rejects a blank title and a missing id',
      proves: 'a title sent empty is INVALID_ARGUMENT; an unknown id is NOT_FOUND naming the id',
      hint: 'check `title !== undefined && title.trim() === ""` first; when store.update() returns undefined, answer NOT_FOUND',
      moreHint:
        'Two early returns, in this order: a title that was sent but is blank, `if (title !== undefined && title.trim() === "") return callback({ code: grpc.status.INVALID_ARGUMENT, details: "title: ..." })`; then, after `const task = store.update(id, changes)`, `if (!task) return callback({ code: grpc.status.NOT_FOUND, details: ... })` with the id in the details',
      async run(harness) {
        const created = await create(harness, 'Do not blank me');
        await harness.expectStatus(
          'learner',
          'UpdateTask',
          { id: created.id, title: '  ' },
          grpc.status.INVALID_ARGUMENT,
          ['title'],
          this.hint,
        );
        const id = `missing-${uniqueSuffix()}`;
        await harness.expectStatus('learner', 'UpdateTask', { id, title: 'x' }, grpc.status.NOT_FOUND, [id], this.hint);
      },
    },
    {
      name: 'DeleteTask returns the deleted task, which is then gone',
      proves: 'Delete answers with the task it removed; a later Get or Delete of that id is NOT_FOUND',
      hint: 'const task = store.delete(id); answer callback(null, { task }), or NOT_FOUND when it is undefined',
      moreHint:
        '`store.delete(id)` removes the task and returns it as it was (or undefined when there is none). Answer with that task, `callback(null, { task })`: the response is DeleteTaskResponse, not an empty message. Unknown id: `return callback({ code: grpc.status.NOT_FOUND, details: ... })` naming the id',
      async run(harness) {
        const created = await create(harness, 'Delete me');
        const request = { id: created.id };
        const deleted = taskOf('DeleteTask', request, await harness.expectOk('learner', 'DeleteTask', request));
        expectEqual('the deleted task', created, deleted, this.hint, { method: 'DeleteTask', request });
        await harness.expectStatus(
          'learner',
          'GetTask',
          request,
          grpc.status.NOT_FOUND,
          [created.id],
          'a deleted task must be gone from the store',
        );
        await harness.expectStatus('learner', 'DeleteTask', request, grpc.status.NOT_FOUND, [created.id], this.hint);
      },
    },
    {
      name: 'ListTasks lists the store and filters by status or tag',
      proves: 'no filter lists every stored task (none deleted, none missing); the oneof filter selects by status or by tag',
      hint: "switch on call.request.filter ('status' | 'tag' | undefined) and answer callback(null, { tasks: store.list(...) })",
      moreHint:
        'A oneof arrives as the virtual field call.request.filter, set to the name of the member that was sent: `if (filter === "status") ... store.list({ status })`, `if (filter === "tag") ... store.list({ tag })`, otherwise `store.list()`. Do not test `status` or `tag` themselves: unset members still hold their default values. Answer `callback(null, { tasks })`',
      async run(harness) {
        const tag = `list-${uniqueSuffix()}`;
        const first = await create(harness, 'List one', { tags: [tag] });
        const second = await create(harness, 'List two', { tags: [tag, `${tag}-b`] });
        await create(harness, 'List three');
        await harness.needOk('learner', 'UpdateTask', { id: second.id, status: 'TASK_STATUS_DONE' });
        const { known } = await harness.learner();
        const ids = (tasks: Task[]) => tasks.map((task) => task.id).sort();
        const listed = async (request: object, description: string, expected: string[]) => {
          const { tasks } = await harness.expectOk('learner', 'ListTasks', request);
          const got = ids(tasks);
          const want = [...expected].sort();
          if (!isDeepStrictEqual(got, want)) {
            const extra = got.filter((id) => !want.includes(id));
            const missing = want.filter((id) => !got.includes(id));
            throw new CheckFailure({
              sent: { method: 'ListTasks', request },
              expected: `${description}: ${want.length} task(s)`,
              received: `${got.length} task(s)${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; not expected ${extra.join(', ')}` : ''}`,
            });
          }
        };
        await listed({}, 'every task stored and not deleted', [...known.keys()]);
        const done = [...known.values()].filter((task) => task.status === 'TASK_STATUS_DONE').map((task) => task.id);
        await listed({ status: 'TASK_STATUS_DONE' }, 'the tasks with status DONE', done);
        await listed({ tag }, `the tasks tagged "${tag}"`, [first.id, second.id]);
        await listed({ tag: `${tag}-b` }, `the tasks tagged "${tag}-b"`, [second.id]);
      },
    },
    {
      name: 'Ids stay unique under 100 concurrent CreateTask calls',
      proves: 'concurrent creates each get their own id and none is lost',
      hint: 'let the store choose ids (crypto.randomUUID()): an id read from a counter or the clock before an await, or made from the time, repeats under concurrency',
      moreHint:
        'Calls run concurrently: anything read before an `await` and written after it (a counter, Date.now()) can be seen by two calls at once. Let the store choose the id: `store.create(...)` uses crypto.randomUUID(). If you keep your own map, generate the id with `randomUUID()` from node:crypto in the same synchronous step that stores the task',
      async run(harness) {
        const outcomes = await Promise.all(
          Array.from({ length: 100 }, (_, i) => harness.rpc('learner', 'CreateTask', { title: `Concurrent ${i}` })),
        );
        const failed = outcomes.find((outcome) => !outcome.ok);
        if (failed && !failed.ok && outcomes.every((outcome) => !outcome.ok)) throw await harness.notRunBecause('CreateTask', failed);
        if (failed && !failed.ok) {
          throw new CheckFailure({
            expected: '100 successful CreateTask calls',
            received: `${outcomes.filter((o) => !o.ok).length} failed, e.g. ${statusName(failed.code)}: ${failed.details}`,
          });
        }
        const ids = outcomes.map((outcome) => (outcome.ok ? outcome.response.task?.id : undefined));
        const unique = new Set(ids);
        if (unique.size !== 100 || unique.has(undefined) || unique.has('')) {
          throw new CheckFailure({ expected: '100 different ids', received: `${unique.size} different ids` });
        }
      },
    },
  ],
};
