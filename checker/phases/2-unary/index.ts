// Phase 2: the unary CRUD handlers of the learner's server, and the client side
// of the same calls (client.ts) against the reference server.
import { isDeepStrictEqual } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { statusName, type Task } from '../../../lib/client-runtime.ts';
import { CheckFailure } from '../../harness/failures.ts';
import { type Harness, summarize } from '../../harness/harness.ts';
import type { Phase } from '../../harness/phase.ts';
import { describeSettled, explainSettled, reportOf } from '../../harness/settled.ts';

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

/** The ids of the tasks ListTasks answers `request` with, or a failure that says what came instead. */
async function listedIds(harness: Harness, request: object): Promise<string[]> {
  const { tasks } = await harness.expectOk('learner', 'ListTasks', request);
  return tasks.map((task) => task.id).sort();
}

function expectSameIds(request: object, description: string, got: string[], want: string[]): void {
  const sortedWant = [...want].sort();
  if (isDeepStrictEqual(got, sortedWant)) return;
  const extra = got.filter((id) => !sortedWant.includes(id));
  const missing = sortedWant.filter((id) => !got.includes(id));
  throw new CheckFailure({
    sent: { method: 'ListTasks', request },
    expected: `${description}: ${sortedWant.length} task(s)`,
    received: `${got.length} task(s)${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; not expected ${extra.join(', ')}` : ''}`,
  });
}

const CHECK_ID_HINT =
  'checkId(id) first: const problem = checkId(id); if (problem) return callback({ code: grpc.status.INVALID_ARGUMENT, details: problem });';

/** A blank id is no id at all: checkId refuses it before the store is asked. */
const expectBlankIdRefused = (harness: Harness, method: 'GetTask' | 'DeleteTask') =>
  harness.expectStatus('learner', method, { id: '' }, grpc.status.INVALID_ARGUMENT, ['id'], CHECK_ID_HINT);

const CLIENT_DRIVER = new URL('./driver.ts', import.meta.url);
const MISSING_FOR_CLIENT = 'no-such-task-for-your-client';

/** The learner's five client functions, run once against the reference server. */
function clientCalls(harness: Harness) {
  return harness.once('phase2-client-calls', async () => {
    const reference = await harness.reference();
    // Get, update and delete are graded on this task even while createTask is still a TODO.
    const existing = reference.store.create({ title: 'Made by the grader', description: '', tags: ['client'] });
    const run = await harness.runScenario(CLIENT_DRIVER, 'unaryCalls', {
      address: reference.address,
      existingId: existing.id,
      missingId: MISSING_FOR_CLIENT,
    });
    return { run, reference };
  });
}

export const phase: Phase = {
  number: 2,
  title: 'Unary RPCs: CreateTask, GetTask, UpdateTask, DeleteTask, ListTasks',
  prepare(harness) {
    void harness.learner().catch(() => {});
    harness.prepareClientHost();
  },
  starting: (harness) =>
    `Starting your server (${harness.displayFile('server.ts')}) and your client (${harness.displayFile('client.ts')})…`,
  checks: [
    {
      name: 'CreateTask returns the new task',
      proves: 'a created task has an id, status TODO, ISO timestamps and exactly the title, description and tags sent',
      file: 'server.ts',
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
      name: 'CreateTask refuses a request that breaks a rule, and stores nothing',
      proves: 'a blank title or a repeated tag is INVALID_ARGUMENT with details naming the field, and the refused task is not stored',
      file: 'server.ts',
      hint: 'const problem = checkNewTask(call.request); if (problem) return callback({ code: grpc.status.INVALID_ARGUMENT, details: problem });',
      moreHint:
        'Validate before you store, and `return` the error so the code below does not run: `const problem = checkNewTask(call.request); if (problem) return callback({ code: grpc.status.INVALID_ARGUMENT, details: problem });`. Calling callback does not stop the function: without `return`, store.create() still runs and the refused task is stored (and watchers hear about it)',
      async run(harness) {
        const tag = `refused-${uniqueSuffix()}`;
        for (const title of ['', '   ']) {
          await harness.expectStatus('learner', 'CreateTask', { title, tags: [tag] }, grpc.status.INVALID_ARGUMENT, ['title'], this.hint);
        }
        await harness.expectStatus(
          'learner',
          'CreateTask',
          { title: 'Repeats a tag', tags: [tag, tag] },
          grpc.status.INVALID_ARGUMENT,
          ['tags[1]'],
          'checkNewTask checks the tags too: answer with what it returns',
        );
        // Stored anyway? Only ListTasks (step 5) can tell; until it works, this part waits for it.
        const listed = await harness.rpc('learner', 'ListTasks', { tag });
        // Only tasks that carry the tag count: a ListTasks that ignores its filter is another check's business.
        const stored = listed.ok ? listed.response.tasks.filter((task) => task.tags.includes(tag)) : [];
        if (stored.length > 0) {
          throw new CheckFailure({
            sent: { method: 'ListTasks', request: { tag } },
            expected: 'no task stored by the refused CreateTask calls',
            received: `${stored.length} stored: ${stored.map((task) => JSON.stringify(task.title)).join(', ')}`,
            explanation: 'the handler answered INVALID_ARGUMENT and then went on: callback() does not stop the function',
            hint: 'return callback({ code: grpc.status.INVALID_ARGUMENT, details: problem }): the `return` stops the handler there',
          });
        }
      },
    },
    {
      name: 'CreateTask and UpdateTask store the title without its surrounding spaces',
      proves: 'a title sent as "  Buy milk  " is stored and answered as "Buy milk", on create and on update',
      file: 'server.ts',
      hint: 'store the title trimmed: store.create({ title: title.trim(), ... }) and store.update(id, { title: title?.trim(), ... })',
      moreHint:
        'checkNewTask and checkChanges accept a title with spaces around it (only a blank one is refused), so trimming is up to the handler: `title.trim()` in CreateTask, and `title?.trim()` in UpdateTask, where `?.` leaves a title that was not sent undefined',
      async run(harness) {
        const created = await create(harness, '  Padded on create  ');
        expectEqual('title', 'Padded on create', created.title, 'store.create({ title: title.trim(), description, tags })', {
          method: 'CreateTask',
          request: { title: '  Padded on create  ' },
        });
        const request = { id: created.id, title: '   Padded on update ' };
        const updated = taskOf('UpdateTask', request, await harness.expectOk('learner', 'UpdateTask', request));
        expectEqual('title', 'Padded on update', updated.title, 'store.update(id, { title: title?.trim(), description, status })', {
          method: 'UpdateTask',
          request,
        });
      },
    },
    {
      name: 'GetTask returns a stored task',
      proves: 'a task can be read back by its id, unchanged',
      file: 'server.ts',
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
      name: 'GetTask of a missing id answers NOT_FOUND, of a blank id INVALID_ARGUMENT',
      proves: 'an unknown id is NOT_FOUND (not OK with an empty task), and the details say which id; a blank id is INVALID_ARGUMENT',
      file: 'server.ts',
      hint: 'if (!task) return callback({ code: grpc.status.NOT_FOUND, details: `no task with id "${id}"` })',
      moreHint:
        'When store.get() returns undefined, answer with an error instead of a response, and return: `if (!task) return callback({ code: grpc.status.NOT_FOUND, details: ... })`, with the id in the details text (e.g. no task with id "abc"). `callback(null, { task: undefined })` would send OK with an empty task, which a client cannot tell from a real answer',
      async run(harness) {
        const id = `missing-${uniqueSuffix()}`;
        await harness.expectStatus('learner', 'GetTask', { id }, grpc.status.NOT_FOUND, [id], this.hint);
        await expectBlankIdRefused(harness, 'GetTask');
      },
    },
    {
      name: 'UpdateTask changes only the fields given and moves updated_at',
      proves: 'absent optional fields and an UNSPECIFIED status leave the task as it was; updated_at moves forward',
      file: 'server.ts',
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
      name: 'UpdateTask refuses a blank title, an unknown status and a missing id',
      proves:
        'a title sent empty and a status number the server does not know are INVALID_ARGUMENT (the task stays as it was); an unknown id is NOT_FOUND naming the id',
      file: 'server.ts',
      hint: 'const problem = checkId(id) ?? checkChanges({ title, description, status }); if (problem) return callback(INVALID_ARGUMENT); then NOT_FOUND when store.update() returns undefined',
      moreHint:
        'Two early returns, in this order: `const problem = checkId(id) ?? checkChanges({ title, description, status }); if (problem) return callback({ code: grpc.status.INVALID_ARGUMENT, details: problem });` (checkChanges refuses a blank title and a status number that is not a known TaskStatus: a client built from a newer proto can send one, and it arrives as a plain number); then, after `const task = store.update(id, changes)`, `if (!task) return callback({ code: grpc.status.NOT_FOUND, details: ... })` with the id in the details',
      async run(harness) {
        const created = await create(harness, 'Do not break me');
        await harness.expectStatus(
          'learner',
          'UpdateTask',
          { id: created.id, title: '  ' },
          grpc.status.INVALID_ARGUMENT,
          ['title'],
          this.hint,
        );
        // An enum number this server's proto does not have (a newer client could send it).
        const unknownStatus = { id: created.id, status: 7 as unknown as 'TASK_STATUS_DONE' };
        await harness.expectStatus('learner', 'UpdateTask', unknownStatus, grpc.status.INVALID_ARGUMENT, ['status'], this.hint);
        // An update that sends nothing answers the task as it is (without GetTask, which another check grades).
        const after = taskOf('UpdateTask', { id: created.id }, await harness.needOk('learner', 'UpdateTask', { id: created.id }));
        const { updated_at: _changed, ...kept } = after;
        const { updated_at: _before, ...wanted } = created;
        expectEqual('the task after the refused updates', wanted, kept, 'answer INVALID_ARGUMENT before you call store.update()', {
          method: 'UpdateTask',
          request: unknownStatus,
        });
        const id = `missing-${uniqueSuffix()}`;
        await harness.expectStatus('learner', 'UpdateTask', { id, title: 'x' }, grpc.status.NOT_FOUND, [id], this.hint);
      },
    },
    {
      name: 'DeleteTask returns the deleted task, which is then gone; a blank id is refused',
      proves: 'Delete answers with the task it removed; a later Get or Delete of that id is NOT_FOUND; a blank id is INVALID_ARGUMENT',
      file: 'server.ts',
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
        await expectBlankIdRefused(harness, 'DeleteTask');
      },
    },
    {
      name: 'ListTasks lists the store, filters by status or tag, and answers an empty list too',
      proves:
        'no filter lists every stored task (none deleted, none missing); the oneof filter selects by status or by tag; a filter that matches nothing answers an empty list; a blank tag, an unknown status and TASK_STATUS_UNSPECIFIED are INVALID_ARGUMENT',
      file: 'server.ts',
      hint: "switch on call.request.filter ('status' | 'tag' | undefined) and answer callback(null, { tasks: store.list(...) }), also when it is empty",
      moreHint:
        'A oneof arrives as the virtual field call.request.filter, set to the name of the member that was sent: `if (filter === "status") ... store.list({ status })`, `if (filter === "tag") ... store.list({ tag })`, otherwise `store.list()`. Do not test `status` or `tag` themselves: unset members still hold their default values. Answer `callback(null, { tasks })` on every path: an empty list is an answer too',
      async run(harness) {
        const tag = `list-${uniqueSuffix()}`;
        const nothing = await harness.rpc('learner', 'ListTasks', { tag });
        if (!nothing.ok || nothing.response.tasks.length > 0) {
          throw new CheckFailure({
            sent: { method: 'ListTasks', request: { tag } },
            expected: 'an empty list (no task has that tag)',
            received: nothing.ok ? `${nothing.response.tasks.length} task(s)` : `${statusName(nothing.code)}: ${nothing.details}`,
            explanation: nothing.ok ? undefined : await harness.explain('ListTasks', nothing.code, nothing.details),
            hint: nothing.ok ? this.hint : 'answer callback(null, { tasks }) on every path, also when tasks is empty',
          });
        }
        const before = await listedIds(harness, {});
        const first = await create(harness, 'List one', { tags: [tag] });
        const second = await create(harness, 'List two', { tags: [tag, `${tag}-b`] });
        const third = await create(harness, 'List three');
        await harness.needOk('learner', 'UpdateTask', { id: second.id, status: 'TASK_STATUS_DONE' });
        await harness.needOk('learner', 'DeleteTask', { id: third.id });
        expectSameIds({}, 'every task stored and not deleted', await listedIds(harness, {}), [...before, first.id, second.id]);
        const byStatus = { status: 'TASK_STATUS_DONE' as const };
        const { tasks: done } = await harness.expectOk('learner', 'ListTasks', byStatus);
        const notDone = done.filter((task) => task.status !== 'TASK_STATUS_DONE');
        if (notDone.length > 0 || !done.some((task) => task.id === second.id)) {
          throw new CheckFailure({
            sent: { method: 'ListTasks', request: byStatus },
            expected: `only tasks with status DONE, among them ${second.id} (just set to DONE)`,
            received: notDone.length > 0 ? `also ${notDone.map((task) => `${task.id} (${task.status})`).join(', ')}` : `no ${second.id}`,
            hint: this.hint,
          });
        }
        expectSameIds({ tag }, `the tasks tagged "${tag}"`, await listedIds(harness, { tag }), [first.id, second.id]);
        expectSameIds({ tag: `${tag}-b` }, `the tasks tagged "${tag}-b"`, await listedIds(harness, { tag: `${tag}-b` }), [second.id]);
        // Filters that are wrong in themselves, refused by checkTagFilter and checkStatus.
        const filterHint =
          "check the filter before you list: checkTagFilter(tag) for 'tag', checkStatus(status, { allowUnspecified: false }) for 'status'; answer INVALID_ARGUMENT with what they return";
        await harness.expectStatus('learner', 'ListTasks', { tag: ' ' }, grpc.status.INVALID_ARGUMENT, ['tag'], filterHint);
        for (const status of [7, 'TASK_STATUS_UNSPECIFIED'] as unknown as Array<'TASK_STATUS_DONE'>) {
          await harness.expectStatus('learner', 'ListTasks', { status }, grpc.status.INVALID_ARGUMENT, ['status'], filterHint);
        }
      },
    },
    {
      name: 'Ids stay unique under 100 concurrent CreateTask calls',
      proves: 'concurrent creates each get their own id and none is lost',
      file: 'server.ts',
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
    {
      name: 'Your client functions send each request and return the answer (client.ts)',
      proves: 'createTask, getTask, updateTask, listTasks and deleteTask call the server and resolve with the task (or tasks) it answered',
      file: 'client.ts',
      hint: 'return new Promise((resolve, reject) => client.CreateTask(request, (error, response) => (error ? reject(error) : resolve(response!.task!))))',
      moreHint:
        'Each function wraps one call in a Promise: `return new Promise((resolve, reject) => { client.GetTask({ id }, options, (error, response) => { if (error) reject(error); else resolve(response!.task!); }); });`. The response is the whole message (GetTaskResponse { task }): resolve with its task (ListTasksResponse: its tasks). Build the request from the arguments: `{ id }` for getTask and deleteTask, the request object as it comes for the others',
      async run(harness) {
        const { run, reference } = await clientCalls(harness);
        const store = reference.store;
        const outcome = async (label: string, what: string) => {
          const settled = await reportOf(run, label, 4000, what);
          harness.note(`your ${label}(…) ${describeSettled(settled, 'resolved with')}`);
          if (settled.kind !== 'value') {
            throw new CheckFailure({
              expected: what,
              received: `${label}() ${describeSettled(settled)}`,
              explanation: explainSettled(settled),
            });
          }
          return settled.value;
        };
        const created = (await outcome('createTask', 'createTask to resolve with the created task')) as Task | null;
        const stored = created ? store.get(created.id) : undefined;
        if (stored?.title !== 'From your client' || !isDeepStrictEqual(stored.tags, ['client'])) {
          throw new CheckFailure({
            expected: 'createTask to send its request ({ title: "From your client", … }) and resolve with the task the server created',
            received: stored
              ? `the server stored ${summarize(stored)}`
              : `createTask resolved with ${summarize(created)}, which the server did not create`,
            hint: 'pass the request object to client.CreateTask as it is, and resolve with response.task',
          });
        }
        const id = stored.id;
        const fetched = await outcome('getTask', `getTask to resolve with the task ${id}`);
        expectEqual(`getTask(client, "${id}")`, stored, fetched, 'send { id } and resolve with response.task');
        const updated = (await outcome('updateTask', 'updateTask to resolve with the updated task')) as Task | null;
        expectEqual(
          `updateTask(client, { id, title: "Renamed by your client", status: DONE }).title`,
          'Renamed by your client',
          updated?.title,
          this.hint,
        );
        expectEqual(
          'the task stored after updateTask',
          store.get(id) ?? null,
          updated,
          'resolve with response.task: the task as the server updated it',
        );
        const listed = (await outcome('listTasks', 'listTasks to resolve with the list of tasks')) as Task[];
        const wantIds = store
          .list({ tag: 'client' })
          .map((task) => task.id)
          .sort();
        expectEqual(
          'the ids listTasks(client, { tag: "client" }) resolved with',
          wantIds,
          Array.isArray(listed) ? listed.map((task) => task.id).sort() : listed,
          'send the request as it is, and resolve with response.tasks (an array)',
        );
        const deleted = (await outcome('deleteTask', 'deleteTask to resolve with the deleted task')) as Task | null;
        if (deleted?.id !== id || store.get(id) !== undefined) {
          throw new CheckFailure({
            expected: `deleteTask(client, "${id}") to delete that task and resolve with it`,
            received: store.get(id)
              ? 'the task is still stored: was DeleteTask called with { id }?'
              : `resolved with ${summarize(deleted)}`,
          });
        }
      },
    },
    {
      name: 'Your client functions reject with the server’s error (client.ts)',
      proves:
        'a failed call of each of the five functions rejects with the grpc.ServiceError the server answered (its code and details), never resolves with nothing',
      file: 'client.ts',
      hint: 'in the callback: if (error) reject(error); else resolve(...): the error is a grpc.ServiceError with .code and .details',
      moreHint:
        'A callback gets `(error, response)`: exactly one of them is set. When error is set the call failed and there is no response: `if (error) reject(error); else resolve(response!.task!);`. Resolving with nothing (or with response.task of a missing response) turns a failure into a success the caller cannot tell apart; the error object is a grpc.ServiceError whose code (grpc.status.NOT_FOUND) and details (the server’s sentence) the caller needs',
      async run(harness) {
        const { run } = await clientCalls(harness);
        for (const [label, call, code, mentions] of [
          ['getTask-missing', `getTask(client, "${MISSING_FOR_CLIENT}")`, grpc.status.NOT_FOUND, MISSING_FOR_CLIENT],
          ['createTask-blank', 'createTask(client, { title: "  " })', grpc.status.INVALID_ARGUMENT, 'title'],
          [
            'updateTask-missing',
            `updateTask(client, { id: "${MISSING_FOR_CLIENT}", title: "x" })`,
            grpc.status.NOT_FOUND,
            MISSING_FOR_CLIENT,
          ],
          ['deleteTask-missing', `deleteTask(client, "${MISSING_FOR_CLIENT}")`, grpc.status.NOT_FOUND, MISSING_FOR_CLIENT],
          ['listTasks-blank-tag', 'listTasks(client, { tag: " " })', grpc.status.INVALID_ARGUMENT, 'tag'],
        ] as const) {
          const expected = `${call} to reject with ${statusName(code)} (details mentioning "${mentions}")`;
          const settled = await reportOf(run, label, 4000, expected);
          harness.note(`your ${call} ${describeSettled(settled, 'resolved with')}`);
          const error = settled.kind === 'error' ? settled.error : undefined;
          if (!error?.serviceError || error.code !== code || !error.details?.includes(mentions)) {
            throw new CheckFailure({
              expected,
              received: `${call.split('(')[0]}() ${describeSettled(settled, 'resolved with')}`,
              explanation:
                settled.kind === 'value'
                  ? 'a callback gets (error, response): when error is set there is no response'
                  : explainSettled(settled),
            });
          }
        }
      },
    },
  ],
};
