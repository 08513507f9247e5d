// Phase 6: the two other kinds of RPC. ImportTasks (client streaming) and
// SyncTasks (bidirectional streaming) on the learner's server, and the
// learner's importTasks and syncTasks clients against the reference server and
// against servers of the grader's own (driver.ts).

import { Readable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { deadlineAfter, statusName } from '../../../lib/client-runtime.ts';
import type { CreateTaskRequest, ImportTasksResponse, SyncTasksRequest, SyncTasksResponse, Task } from '../../../lib/proto.ts';
import { todoMessage } from '../../../lib/protocol.ts';
import { CheckFailure, NotRun } from '../../harness/failures.ts';
import { EVENT_WAIT_MS, type Harness, type RpcOutcome, summarize } from '../../harness/harness.ts';
import type { Settled } from '../../harness/host-protocol.ts';
import type { Phase } from '../../harness/phase.ts';
import { describeSettled, explainSettled, reportOf } from '../../harness/settled.ts';
import { type CollectedStream, collectStream } from '../../harness/streams.ts';
import { BACKPRESSURE_MESSAGES, FAILED_IMPORT_DETAILS, FAILED_SESSION_DETAILS, LATE_TITLES, type WriteWatch } from './driver.ts';

const DRIVER = new URL('./driver.ts', import.meta.url);
/** What grpc-js on the client says when a call with one answer gets a second one. */
const TOO_MANY_RESPONSES = 'Too many responses received';
/** An import's deadline: the big one must get through whole, even on a slow machine. */
const IMPORT_DEADLINE_MS = 6000;
const BIG_IMPORT_TASKS = 10_000;
/** Each task of the big import: about 530 bytes, so 10,000 of them are over 5 MB. */
const BIG_DESCRIPTION = 'x'.repeat(500);
/** How long a client scenario may take: its calls settle within 3 s each (client-host.ts). */
const SCENARIO_WAIT_MS = 7000;

const uniqueSuffix = () => Math.random().toString(36).slice(2, 8);
const short = (type: unknown) => String(type).replace('TASK_EVENT_TYPE_', '').replace('TASK_STATUS_', '');

/** One message of a session in words: `event CREATED "title"`, `result #0 OK "title"`, `result #1 NOT_FOUND`. */
function describeMessage({ event, result }: SyncTasksResponse): string {
  if (result) {
    const task = result.task ? ` "${result.task.title}" ${short(result.task.status)}` : '';
    return `result #${result.command_index} ${statusName(result.code)}${task}`;
  }
  if (event) return `event ${short(event.event_type)} "${event.task?.title ?? '(no task)'}"`;
  return 'a message with neither event nor result';
}

const describeAll = (messages: SyncTasksResponse[]) => (messages.length === 0 ? 'nothing' : messages.map(describeMessage).join(', '));

// ---- ImportTasks on the learner's server ----

/** Sends `items` on ImportTasks to the learner's server (honouring backpressure, then half-closing); never throws for a gRPC error. */
async function importOnLearner(
  harness: Harness,
  items: Iterable<{ task?: CreateTaskRequest }>,
  shown: string,
): Promise<RpcOutcome<ImportTasksResponse>> {
  const client = await harness.client('learner');
  harness.note(`→ ImportTasks: ${shown}, then half-close`);
  const outcome = await new Promise<RpcOutcome<ImportTasksResponse>>((resolve) => {
    const call = client.ImportTasks(harness.metadataFor('learner'), { deadline: deadlineAfter(IMPORT_DEADLINE_MS) }, (error, response) =>
      resolve(error ? { ok: false, code: error.code, details: error.details } : { ok: true, response: response! }),
    );
    // pipe() waits for 'drain' whenever write() returns false, and ends the stream after the last item.
    // (grpc-js types write() for request objects, which Node's pipe() typings do not foresee.)
    Readable.from(items).pipe(call as unknown as NodeJS.WritableStream);
  });
  if (outcome.ok) harness.note(`← OK ${summarize(outcome.response)}`);
  else {
    const details = outcome.code === grpc.status.DEADLINE_EXCEEDED ? `no answer within ${IMPORT_DEADLINE_MS / 1000} s` : outcome.details;
    harness.note(`← ${statusName(outcome.code)}: ${details}`);
    return { ...outcome, details };
  }
  return outcome;
}

/** The summary of an import that must succeed, or a failure explaining why it did not. */
async function expectSummary(harness: Harness, items: Array<{ task?: CreateTaskRequest }>, shown: string): Promise<ImportTasksResponse> {
  const outcome = await importOnLearner(harness, items, shown);
  if (outcome.ok) return outcome.response;
  throw new CheckFailure({
    expected: 'ImportTasks to answer OK with a summary',
    received: `${statusName(outcome.code)}: ${outcome.details}`,
    explanation:
      (outcome.details === TOO_MANY_RESPONSES
        ? "your ImportTasks called callback more than once (grpc-js on the client refuses a second answer): answer once, in call.on('end', ...)"
        : await harness.explain('ImportTasks', outcome.code, outcome.details)) ??
      (outcome.code === grpc.status.DEADLINE_EXCEEDED
        ? "your ImportTasks never answered: answer callback(null, summary) in call.on('end', ...), which runs once the client half-closed"
        : undefined),
  });
}

function expectImportSummary(
  got: ImportTasksResponse,
  created: number,
  rejected: Array<{ index: number; mentions: string }>,
  what: string,
  hint: string,
): void {
  const fits =
    got.created_count === created &&
    got.rejected.length === rejected.length &&
    rejected.every(({ index, mentions }, n) => got.rejected[n]?.index === index && got.rejected[n]?.reason.includes(mentions));
  if (!fits) {
    const wanted = rejected.map(({ index, mentions }) => `{ index: ${index}, reason naming "${mentions}" }`).join(', ');
    throw new CheckFailure({
      expected: `the summary of ${what}: created_count ${created}, rejected [${wanted}]`,
      received: summarize(got),
      hint,
    });
  }
}

/** The titles of the learner's tasks with `tag` (the import's tasks carry one of their own). */
async function titlesTagged(harness: Harness, tag: string): Promise<string[]> {
  const { tasks } = await harness.needOk('learner', 'ListTasks', { tag });
  return tasks.map((task) => task.title).sort();
}

async function expectStored(harness: Harness, tag: string, titles: string[]): Promise<void> {
  const stored = await titlesTagged(harness, tag);
  if (!isDeepStrictEqual(stored, [...titles].sort())) {
    throw new CheckFailure({
      expected: `exactly the good items stored (ListTasks by their tag): ${titles.map((title) => `"${title}"`).join(', ')}`,
      received: stored.length === 0 ? 'none of them' : stored.map((title) => `"${title}"`).join(', '),
      hint: isDeepStrictEqual(stored.map((title) => title.trim()).sort(), [...titles].sort())
        ? 'store the title without its surrounding spaces, as CreateTask does: store.create({ title: task.title.trim(), ... })'
        : 'store each good item with store.create(...) as it arrives, and nothing for an item you reject',
    });
  }
}

const taskItems = (tag: string, titles: string[]) => titles.map((title) => ({ task: { title, description: 'imported', tags: [tag] } }));

// ---- SyncTasks on the learner's server ----

interface Session extends CollectedStream<SyncTasksResponse> {
  send(...commands: SyncTasksRequest[]): void;
  halfClose(): void;
  cancel(): void;
}

/** Opens a SyncTasks session on the learner's server, noting what goes each way (cancelled when the run ends). */
async function openSession(harness: Harness, name: string): Promise<Session> {
  const client = await harness.client('learner');
  harness.note(`→ SyncTasks (${name}) opened`);
  const call = client.SyncTasks(harness.metadataFor('learner'));
  call.on('data', (message: SyncTasksResponse) => harness.note(`← ${name}: ${describeMessage(message)}`));
  call.on('status', (status: grpc.StatusObject) => {
    if (status.code === grpc.status.OK) harness.note(`← ${name} ended: OK`);
    else if (status.code !== grpc.status.CANCELLED) harness.note(`← ${name} ended: ${statusName(status.code)}: ${status.details}`);
  });
  harness.onCleanup(() => call.cancel());
  let sent = 0;
  return Object.assign(collectStream(call), {
    send(...commands: SyncTasksRequest[]) {
      for (const command of commands) {
        harness.note(`→ ${name}: command #${sent++} ${JSON.stringify(command)}`);
        call.write(command);
      }
    },
    halfClose() {
      harness.note(`→ ${name}: half-close (no more commands)`);
      call.end();
    },
    cancel() {
      harness.note(`(${name}'s client goes away: cancel)`);
      call.cancel();
    },
  });
}

/** Why the rest of Phase 6's SyncTasks checks do not run once a session never ended: each would wait out the same 2 s. */
const SESSION_NEVER_ENDS = 'your SyncTasks does not end a session after its client half-closes (see above)';

/** The session's end after its client half-closed: it must end with OK, soon. */
async function expectEndsOk(harness: Harness, session: Session, name: string): Promise<void> {
  const status = await session.waitForEnd(EVENT_WAIT_MS);
  if (status?.code === grpc.status.OK) return;
  throw new CheckFailure({
    expected: `${name} to end with OK once its client half-closed (after the answer to its last command)`,
    received: status
      ? `it ended with ${statusName(status.code)}: ${status.details}`
      : `it was still open ${EVENT_WAIT_MS / 1000} s after the half-close; it had sent ${describeAll(session.messages)}`,
    explanation: status
      ? await harness.explain('SyncTasks', status.code, status.details)
      : "call.on('end', ...) runs when the client half-closes: end the call there (stream.end()). A `for await (const command of call)` loop destroys the call when the loop ends, so a stream.end() after it is lost",
    hint: status ? undefined : "call.on('end', () => stream.end()): after the half-close no command can come, so the session is over",
    stopsPhase: status ? undefined : SESSION_NEVER_ENDS,
  });
}

/** A TODO message in a command's answer, or undefined. */
function todoInResults(messages: SyncTasksResponse[]): string | undefined {
  const todo = messages.map((message) => todoMessage.parse(message.result?.details ?? '')).find((parsed) => parsed !== undefined);
  return todo && `${todo.what} is still a TODO(human): see PHASES.md, ${todo.step}`;
}

/**
 * The messages of `session` that are about `titles` (every result, and the
 * events of those tasks) in the order they came; fails unless they are
 * `expected`, or if the session failed first.
 */
async function expectMessages(harness: Harness, session: Session, name: string, titles: string[], expected: string[], hint: string) {
  const ofInterest = (messages: SyncTasksResponse[]) =>
    messages.filter((message) => message.result || titles.includes(message.event?.task?.title.trim() ?? ''));
  const deadline = Date.now() + EVENT_WAIT_MS;
  while (ofInterest(session.messages).length < expected.length && !session.status && Date.now() < deadline) {
    await session.waitForMessages(session.messages.length + 1, deadline - Date.now());
  }
  const got = ofInterest(session.messages).map(describeMessage);
  if (isDeepStrictEqual(got.slice(0, expected.length), expected)) return;
  const status = session.status;
  const todo = todoInResults(session.messages);
  const results = (lines: string[]) => lines.filter((line) => line.startsWith('result'));
  const unnumbered = (lines: string[]) => results(lines).map((line) => line.replace(/#\d+ /, ''));
  const misnumbered = !isDeepStrictEqual(results(got), results(expected)) && isDeepStrictEqual(unnumbered(got), unnumbered(expected));
  const noEvents = expected.some((line) => line.startsWith('event')) && !got.some((line) => line.startsWith('event'));
  const trimmed = (lines: string[]) => lines.map((line) => line.replace(/"\s*(.*?)\s*"/, '"$1"'));
  const untrimmed = !isDeepStrictEqual(got, expected) && isDeepStrictEqual(trimmed(got).slice(0, expected.length), expected);
  // Every answer came, in order, but some with another outcome: the rules of runCommand, not the stream.
  const numbers = (lines: string[]) => results(lines).map((line) => line.split(' ')[1]);
  const otherOutcomes =
    !untrimmed && isDeepStrictEqual(numbers(got), numbers(expected))
      ? results(expected)
          .filter((line, n) => results(got)[n] !== line)
          .map((line) => `command ${line.split(' ')[1]}`)
      : [];
  // Some came, in order, then nothing more and no end: what a destroyed call looks like.
  const cutShort = !status && got.length > 0 && got.length < expected.length && isDeepStrictEqual(got, expected.slice(0, got.length));
  const ended = status && (status.code === grpc.status.OK ? ' (OK)' : ` with ${statusName(status.code)}: ${status.details}`);
  throw new CheckFailure({
    expected: `${name} to receive ${expected.join(', ')} (in this order)`,
    received: `${got.length === 0 ? 'nothing' : got.join(', ')}${ended ? `, then the session ended${ended}` : ''}`,
    explanation:
      todo ??
      (status && status.code !== grpc.status.OK
        ? await harness.explain('SyncTasks', status.code, status.details)
        : cutShort
          ? "the first came, then nothing more, and the call never ended. Is it destroyed? A `for await (const command of call)` loop destroys the call when the loop ends, and what is still on its way out is lost: read with call.on('data', ...) and call.on('end', ...)"
          : noEvents
            ? 'no event came at all: the session never hears of the changes in the store'
            : otherOutcomes.length > 0
              ? `every command was answered, in order, but not always as its unary RPC would answer it: see ${otherOutcomes.join(' and ')}`
              : undefined),
    hint: misnumbered
      ? 'command_index counts every command the session received, refused ones too: 0 for the first, 1 for the next, whatever their outcome'
      : untrimmed
        ? 'store titles without their surrounding spaces, as CreateTask and UpdateTask do: title.trim() for create, title?.trim() for update'
        : otherOutcomes.length > 0
          ? UNARY_RULES_HINT
          : noEvents && isDeepStrictEqual(results(got), results(expected))
            ? SUBSCRIBE_HINT
            : hint,
    // The call never ended: every later session would wait out the same 2 s.
    stopsPhase: cutShort ? SESSION_NEVER_ENDS : undefined,
  });
}

/**
 * Each refused command's details mention a word: the field that broke a rule,
 * or the id that was not found (`hint`: what to answer, when the unary rules do not say).
 */
function expectDetails(session: Session, mentions: Array<[commandIndex: number, word: string, hint?: string]>): void {
  for (const [commandIndex, word, hint] of mentions) {
    const result = session.messages.find((message) => message.result?.command_index === commandIndex)?.result;
    if (result && new RegExp(`\\b${word}\\b`).test(result.details)) continue;
    throw new CheckFailure({
      expected: `the answer to command #${commandIndex} to say why, with details mentioning "${word}"`,
      received: `${statusName(result?.code ?? grpc.status.OK)}: ${JSON.stringify(result?.details ?? '')}`,
      explanation: 'a command is answered as its unary RPC would answer: the same code and the same details',
      hint:
        hint ??
        'return the problem the rules found, as the unary handler would: checkId(id) ?? checkChanges(...), or NOT_FOUND with `no task with id "${id}"`',
    });
  }
}

/** A task created with a unary call as a step (a broken CreateTask makes the check "not run"). */
async function createTask(harness: Harness, title: string): Promise<Task> {
  const { task } = await harness.needOk('learner', 'CreateTask', { title });
  if (!task) throw new NotRun('needs CreateTask to answer with its task (Phase 2)');
  return task;
}

/** The learner server's subscriber count once earlier checks' sessions are forgotten (see Phase 3). */
async function sessionBaseline(harness: Harness): Promise<number> {
  const { subscribers } = await harness.learner();
  if (subscribers.value === undefined) return 0;
  await subscribers.waitFor((count) => count === 0, 300);
  return subscribers.value;
}

/** Waits until the server has registered the sessions opened so far: a round trip, then the subscriber count (if reported). */
async function settleSessions(harness: Harness, atLeast: number): Promise<void> {
  await harness.rpc('learner', 'GetTask', { id: 'checker-barrier' }); // any answer will do, even an error
  const { subscribers } = await harness.learner();
  if (subscribers.value !== undefined) await subscribers.waitFor((count) => count >= atLeast, 500);
}

const UNARY_RULES_HINT =
  "runCommand follows the unary rules: for update, checkId(id) ?? checkChanges(...) first, then store.update(id, { title: title?.trim(), description, status: status === 'TASK_STATUS_UNSPECIFIED' ? undefined : status }), and NOT_FOUND when there is no such task";

const SUBSCRIBE_HINT =
  'subscribe to the store in SyncTasks, as WatchTasks does: store.subscribe((event) => stream.write({ event }), () => stream.end())';

const COMMAND_HINT =
  "for each command, in order: stream.write({ result: { command_index, ...runCommand(store, command) } }); the store's event for the change goes out through your subscription";

// ---- The learner's client functions ----

/** The client scenarios, all started at once, the first time a client check needs one. */
function clientRuns(harness: Harness) {
  return harness.once('phase6-client', async () => {
    const reference = await harness.reference();
    const tag = `client-import-${uniqueSuffix()}`;
    const existing = reference.store.create({ title: 'Synced by your client', description: '', tags: [] });
    const commands: SyncTasksRequest[] = [
      { update: { id: existing.id, status: 'TASK_STATUS_DONE' } },
      { create: { title: 'Created by your client' } },
      { delete: { id: existing.id } },
      { update: { id: 'no-such-task-for-your-client', status: 'TASK_STATUS_DONE' } },
    ];
    const [imports, importFails, sync, syncLate, backpressure] = await Promise.all([
      harness.runScenario(DRIVER, 'imports', { address: reference.address, tag }),
      harness.runScenario(DRIVER, 'importFails'),
      harness.runScenario(DRIVER, 'sync', { address: reference.address, commands }),
      harness.runScenario(DRIVER, 'syncLate'),
      harness.runScenario(DRIVER, 'backpressure'),
    ]);
    return { reference, tag, commands, imports, importFails, sync, syncLate, backpressure };
  });
}

interface SyncReport {
  settled: Settled;
  messages: SyncTasksResponse[];
  halfClosed?: boolean;
}

const SYNC_CALL = 'syncTasks(client, commands, onResponse)';

/** How a client call settled, for the transcript: "resolved", "resolved with {…}", "failed with …". */
const settledAs = (settled: Settled) =>
  settled.kind === 'value' && settled.value === undefined ? 'resolved' : describeSettled(settled, 'resolved with');

/** A settled client call that should have resolved: a failure when it did not. */
function expectResolved(settled: Settled, call: string, expected: string): void {
  if (settled.kind === 'value') return;
  throw new CheckFailure({
    expected,
    received: `${call.split('(')[0]}() ${describeSettled(settled)}`,
    explanation:
      explainSettled(settled) ??
      (settled.kind === 'timeout'
        ? 'the server answers only after the client half-closes: call.end() after the last message (writeAll does it)'
        : undefined),
  });
}

export const phase: Phase = {
  number: 6,
  title: 'Client and bidirectional streaming: ImportTasks and SyncTasks',
  prepare(harness) {
    void harness.learner().catch(() => {});
    harness.prepareClientHost();
  },
  starting: (harness) => `Starting your server (${harness.displayFile('server.ts')}) and your client against the reference server…`,
  checks: [
    {
      name: 'ImportTasks stores every task of the stream and answers once, with the count',
      proves: 'the handler reads every message until the client half-closes, stores each task, then answers one summary',
      file: 'server.ts',
      hint: "call.on('data', ({ task }) => ...) stores each task; call.on('end', () => callback(null, { created_count, rejected })) answers once",
      moreHint:
        "ImportTasks(call, callback) gets a stream of requests and one callback. `call.on('data', ({ task }) => { ... })` runs for each item, in the order sent: check it with checkNewTask(task), then `store.create({ title: task.title.trim(), description: task.description, tags: task.tags })` and count it. `call.on('end', () => callback(null, summary))` runs once the client half-closed, when every item has been read: answer there, not earlier",
      async run(harness) {
        const tag = `import-${uniqueSuffix()}`;
        const titles = ['Imported 1', 'Imported 2', 'Imported 3'];
        const summary = await expectSummary(harness, taskItems(tag, titles), `3 tasks tagged ${tag}`);
        expectImportSummary(summary, 3, [], 'three good tasks', this.hint);
        await expectStored(harness, tag, titles);
      },
    },
    {
      name: 'ImportTasks rejects a bad task by its index, with the reason, and goes on',
      proves:
        'a task that breaks a rule is listed in rejected (index in the stream, reason naming the field) and the tasks after it are still stored',
      file: 'server.ts',
      hint: 'const problem = checkNewTask(task); if (problem) summary.rejected.push({ index, reason: problem }) and carry on with the next item',
      moreHint:
        "A bad item is not a failed call: do not answer (callback) for it, or the import stops there. Count the items as they come (the first is index 0), and for one that checkNewTask refuses, or one without a task (null), push `{ index, reason: problem }` to the summary's rejected list; store nothing for it. The next 'data' carries on",
      async run(harness) {
        const tag = `import-${uniqueSuffix()}`;
        const items = [
          ...taskItems(tag, ['Good 1']),
          { task: { title: '  ', tags: [tag] } },
          ...taskItems(tag, ['Good 2']),
          { task: { title: 'Repeats a tag', tags: [tag, 'twice', 'twice'] } },
          ...taskItems(tag, ['  Good 3  ']),
          {},
        ];
        const summary = await expectSummary(
          harness,
          items,
          `6 items tagged ${tag}: #1 has a blank title, #3 repeats a tag, #4's title has spaces around it, #5 has no task`,
        );
        expectImportSummary(
          summary,
          3,
          [
            { index: 1, mentions: 'title' },
            { index: 3, mentions: 'tags' },
            { index: 5, mentions: 'task' },
          ],
          'six items, #1, #3 and #5 bad',
          this.hint,
        );
        await expectStored(harness, tag, ['Good 1', 'Good 2', 'Good 3']);
      },
    },
    {
      name: 'ImportTasks answers an empty import with zero',
      proves: 'a client that half-closes without sending anything gets created_count 0 and no rejections, not an error or a hang',
      file: 'server.ts',
      hint: "answer in call.on('end', ...), which runs even when no item came: callback(null, { created_count: 0, rejected: [] })",
      moreHint:
        "An empty stream is a valid import of nothing: 'data' never runs, 'end' does. So the answer belongs in `call.on('end', () => callback(null, summary))`, with the summary you started as `{ created_count: 0, rejected: [] }`: no special case, and no error for an empty import",
      async run(harness) {
        const summary = await expectSummary(harness, [], 'nothing');
        expectImportSummary(summary, 0, [], 'an empty import', this.hint);
      },
    },
    {
      name: `ImportTasks stops an import of ${BIG_IMPORT_TASKS.toLocaleString('en')} tasks (5 MB) with RESOURCE_EXHAUSTED`,
      proves:
        'one import cannot make the server read and store without bound: past LIMITS.importMaxTasks it answers RESOURCE_EXHAUSTED naming the limit, and keeps serving',
      file: 'server.ts',
      hint: 'when item LIMITS.importMaxTasks arrives, return callback({ code: grpc.status.RESOURCE_EXHAUSTED, details }) with the limit in the details',
      moreHint:
        'Count the items; the one with index LIMITS.importMaxTasks (lib/task-rules.ts) is one too many: `return callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: `an import takes at most ${LIMITS.importMaxTasks} tasks …` })`. Answering ends the call: grpc-js reads nothing more from that client, and its later writes go nowhere. Without a limit, a client can keep a handler reading (and the store growing) for as long as it likes',
      async run(harness) {
        const tag = `big-${uniqueSuffix()}`;
        const items = function* () {
          for (let n = 1; n <= BIG_IMPORT_TASKS; n++) yield { task: { title: `Bulk ${n}`, description: BIG_DESCRIPTION, tags: [tag] } };
        };
        const outcome = await importOnLearner(harness, items(), `${BIG_IMPORT_TASKS.toLocaleString('en')} tasks of about 530 bytes`);
        const expected = 'RESOURCE_EXHAUSTED, with the limit (a number) in the details';
        if (outcome.ok || outcome.code !== grpc.status.RESOURCE_EXHAUSTED || !/\d/.test(outcome.details)) {
          throw new CheckFailure({
            expected,
            received: outcome.ok ? `OK ${summarize(outcome.response)}` : `${statusName(outcome.code)}: ${outcome.details}`,
            explanation: outcome.ok
              ? `your ImportTasks read and stored all ${BIG_IMPORT_TASKS.toLocaleString('en')}: nothing stops a client that never ends`
              : await harness.explain('ImportTasks', outcome.code, outcome.details),
            hint: outcome.ok || outcome.code === grpc.status.RESOURCE_EXHAUSTED ? this.hint : undefined,
          });
        }
        const after = await harness.rpc('learner', 'ListTasks', { tag: 'checker-after-big-import' });
        if (!after.ok) {
          throw new CheckFailure({
            expected: 'your server to keep answering after refusing the import',
            received: `${statusName(after.code)}: ${after.details}`,
            explanation: await harness.explain('ListTasks', after.code, after.details),
          });
        }
      },
    },
    {
      name: 'SyncTasks applies each command and answers it in order, with the events of the changes',
      proves:
        'a session reads commands while it writes: each is applied with its unary rules and answered in order, and the session gets the events of its own changes',
      file: 'server.ts',
      hint: COMMAND_HINT,
      moreHint:
        "SyncTasks(call) reads and writes on one call. Subscribe as in WatchTasks, writing `{ event }`; then `call.on('data', (command) => stream.write({ result: { command_index: index++, ...runCommand(store, command) } }))`. runCommand (step 3) does what CreateTask, UpdateTask and DeleteTask do, returning `{ task }` or `{ code, details }` instead of calling a callback. The store announces a change while runCommand runs, so the event goes out before the answer",
      async run(harness) {
        const task = await createTask(harness, 'Sync me');
        const session = await openSession(harness, 'the session');
        session.send(
          { update: { id: task.id, title: '  Synced  ', status: 'TASK_STATUS_DONE' } },
          { update: { id: task.id, description: 'no status given: it stays DONE' } },
          { create: { title: '  Made in a session  ' } },
          { delete: { id: task.id } },
        );
        session.halfClose();
        await expectMessages(
          harness,
          session,
          'the session',
          ['Synced', 'Made in a session'],
          [
            'event UPDATED "Synced"',
            'result #0 OK "Synced" DONE',
            'event UPDATED "Synced"',
            'result #1 OK "Synced" DONE',
            'event CREATED "Made in a session"',
            'result #2 OK "Made in a session" TODO',
            'event DELETED "Synced"',
            'result #3 OK "Synced" DONE',
          ],
          this.hint,
        );
        await expectEndsOk(harness, session, 'the session');
      },
    },
    {
      name: 'SyncTasks refuses a bad command in the stream and carries on, in order',
      proves:
        'an unknown id is NOT_FOUND and a broken rule INVALID_ARGUMENT, each in its own answer, and the commands after it still run: a refusal never ends the session',
      file: 'server.ts',
      hint: 'a refused command is an answer, not the end of the call: return { code, details } from runCommand, never call.emit("error", ...) for one',
      moreHint:
        "Answer a bad command like the unary RPC would, inside the stream: `{ result: { command_index, code: grpc.status.NOT_FOUND, details: 'no task with id …' } }`, and keep reading. call.emit('error', ...) would end the whole session (and every later command with it). Answer each command as it comes, in order: a refusal written later (setTimeout, a promise) overtakes nothing",
      async run(harness) {
        const task = await createTask(harness, 'Refuse my blank title');
        const session = await openSession(harness, 'the session');
        const missing = 'no-such-task-in-a-session';
        session.send(
          { update: { id: missing, status: 'TASK_STATUS_DONE' } },
          { create: { title: '   ' } },
          { update: { id: task.id, title: '  ' } },
          { update: { id: '', title: 'No id' } },
          { delete: { id: '' } },
          { delete: { id: missing } },
          { create: { title: 'After the refusals' } },
          {},
        );
        session.halfClose();
        await expectMessages(
          harness,
          session,
          'the session',
          ['After the refusals'],
          [
            'result #0 NOT_FOUND',
            'result #1 INVALID_ARGUMENT',
            'result #2 INVALID_ARGUMENT',
            'result #3 INVALID_ARGUMENT',
            'result #4 INVALID_ARGUMENT',
            'result #5 NOT_FOUND',
            'event CREATED "After the refusals"',
            'result #6 OK "After the refusals" TODO',
            'result #7 INVALID_ARGUMENT',
          ],
          this.hint,
        );
        // As the unary RPCs do: the details name the field, or the id that was not found.
        expectDetails(session, [
          [0, missing],
          [1, 'title'],
          [2, 'title'],
          [3, 'id'],
          [4, 'id'],
          [5, missing],
          [
            7,
            'command',
            "no command set (command is undefined): return { code: grpc.status.INVALID_ARGUMENT, details: 'command: must be create, update or delete' }",
          ],
        ]);
        await expectEndsOk(harness, session, 'the session');
      },
    },
    {
      name: 'Every session gets the changes of the other clients',
      proves: 'a session that sends nothing stays open and receives the events of another session’s commands and of unary calls, in order',
      file: 'server.ts',
      hint: SUBSCRIBE_HINT,
      moreHint:
        'The events come from the store, not from the commands of this session: `const stream = boundedEventStream(call); const unsubscribe = store.subscribe((event) => { if (!stream.write({ event })) unsubscribe(); }, () => stream.end()); call.on("cancelled", unsubscribe);`. A session that only writes its own results never hears what the others do. And do not end the call before the client half-closes: a session that sends nothing is still listening',
      async run(harness) {
        const baseline = await sessionBaseline(harness);
        const writer = await openSession(harness, 'session A');
        const listener = await openSession(harness, 'session B');
        await settleSessions(harness, baseline + 2);
        writer.send({ create: { title: 'From session A' } });
        writer.halfClose();
        await expectMessages(
          harness,
          writer,
          'session A',
          ['From session A'],
          ['event CREATED "From session A"', 'result #0 OK "From session A" TODO'],
          this.hint,
        );
        await expectEndsOk(harness, writer, 'session A');
        await createTask(harness, 'From a unary call');
        await expectMessages(
          harness,
          listener,
          'session B (which sends nothing)',
          ['From session A', 'From a unary call'],
          ['event CREATED "From session A"', 'event CREATED "From a unary call"'],
          this.hint,
        );
        listener.halfClose();
        await expectEndsOk(harness, listener, 'session B');
      },
    },
    {
      name: 'A session ends with OK after its client half-closes',
      proves:
        'once the client says it has no more commands, the server answers the last one and ends the call (OK); the client does not wait for ever',
      file: 'server.ts',
      hint: "call.on('end', () => stream.end()): 'end' means the client half-closed",
      moreHint:
        "A bidirectional call has two ends. The client's `call.end()` closes its direction only (a half-close); the server sees 'end' and can still write. Every command has been read by then, and answered: end your direction with `stream.end()` (it sends what is queued first), and the call completes with OK. Without it the session stays open until the client gives up",
      async run(harness) {
        const session = await openSession(harness, 'the session');
        session.send({ create: { title: 'Last command' } });
        session.halfClose();
        await expectMessages(
          harness,
          session,
          'the session',
          ['Last command'],
          ['event CREATED "Last command"', 'result #0 OK "Last command" TODO'],
          COMMAND_HINT,
        );
        await expectEndsOk(harness, session, 'the session');
      },
    },
    {
      name: 'A session whose client goes away is forgotten',
      proves: 'when a client vanishes mid-session, the server unsubscribes it (no leak) and keeps serving the others',
      file: 'server.ts',
      hint: "call.on('cancelled', unsubscribe) in SyncTasks too: 'cancelled' fires when the client goes away",
      moreHint:
        "A client that vanishes never half-closes, and the server must still let go of its subscription, or every later change is written to a dead stream (and store.subscriberCount only grows). As in WatchTasks: keep the function store.subscribe returns and `call.on('cancelled', unsubscribe)`; calling it twice is safe",
      async run(harness) {
        const { subscribers } = await harness.learner();
        const baseline = await sessionBaseline(harness);
        const leaving = await openSession(harness, 'the leaving session');
        const staying = await openSession(harness, 'the staying session');
        await settleSessions(harness, baseline + 2);
        const measured = subscribers.value !== undefined && subscribers.value >= baseline + 2;
        leaving.cancel();
        if (measured && !(await subscribers.waitFor((count) => count <= baseline + 1, EVENT_WAIT_MS))) {
          throw new CheckFailure({
            expected: `the server to forget the session whose client left within ${EVENT_WAIT_MS / 1000} s (${baseline + 1} subscriber(s) left)`,
            received: `still ${subscribers.value} subscribers: the session that left leaks`,
            explanation: 'a subscription that is never removed keeps its stream (and memory) for ever, and the store keeps writing to it',
          });
        }
        if (!measured) harness.note('(subscriber count not reported: your server does not use lib/store.ts, so the leak is not measured)');
        await createTask(harness, 'After a session left');
        await expectMessages(
          harness,
          staying,
          'the staying session',
          ['After a session left'],
          ['event CREATED "After a session left"'],
          this.hint,
        );
        staying.halfClose();
        await expectEndsOk(harness, staying, 'the staying session');
      },
    },
    {
      name: 'At shutdown, open sessions end with OK',
      proves: 'when the server shuts down, the store closes and SyncTasks ends each open session with OK, as WatchTasks ends its streams',
      file: 'server.ts',
      hint: 'the second callback of store.subscribe runs at shutdown: end the session there, () => stream.end(), as in WatchTasks',
      moreHint:
        '`store.subscribe(onEvent, onStoreClosed)`: the store calls onStoreClosed when the server shuts down (Phase 3). A session subscribes just as a watch does, so end it there too: `() => stream.end()`. A server waits for open calls before it stops: a session nobody ends holds the shutdown until it is cut off, and its client sees a failure instead of a clean end',
      async run(harness) {
        const baseline = await sessionBaseline(harness);
        const session = await openSession(harness, 'the open session');
        await settleSessions(harness, baseline + 1);
        await harness.expectEndsAtShutdown(session, 'SyncTasks', 'SyncTasks session');
      },
    },
    {
      name: 'Your importTasks sends every task, half-closes and resolves with the summary (client.ts)',
      proves: 'importTasks writes each task as { task } on one ImportTasks call, ends the stream, and resolves with the one answer',
      file: 'client.ts',
      hint: 'const call = client.ImportTasks((error, response) => error ? reject(error) : resolve(response!)); then write each { task } and call.end()',
      moreHint:
        'A client-streaming call takes the callback first and returns a stream: `const call = client.ImportTasks((error, response) => (error ? reject(error) : resolve(response!)));` inside `new Promise(...)`. Write each task wrapped as its request, `{ task }`, then half-close with `call.end()`: the server answers only then. Your writeAll (step 4) does both: `writeAll(call, tasks.map((task) => ({ task }))).catch(reject);`',
      async run(harness) {
        const { imports, reference, tag } = await clientRuns(harness);
        const call = 'importTasks(client, [task 1, a task with a blank title, task 2])';
        const settled = await reportOf(imports, 'import', SCENARIO_WAIT_MS, `${call} to resolve with the summary`);
        harness.note(`your ${call} ${settledAs(settled)}`);
        expectResolved(settled, call, `${call} to resolve with the server's summary`);
        const summary = (settled as { value: ImportTasksResponse | null }).value;
        const fits =
          summary?.created_count === 2 &&
          summary.rejected.length === 1 &&
          summary.rejected[0]?.index === 1 &&
          /title/.test(summary.rejected[0].reason);
        const stored = reference.store
          .list({ tag })
          .map((task) => task.title)
          .sort();
        if (!fits || !isDeepStrictEqual(stored, ['Imported by your client 1', 'Imported by your client 2'])) {
          throw new CheckFailure({
            expected: `${call} to send all three tasks and resolve with { created_count: 2, rejected: [{ index: 1, reason: "title: …" }] }`,
            received: `it resolved with ${summarize(summary)}; the server stored ${stored.length === 0 ? 'none of them' : stored.map((title) => `"${title}"`).join(', ')}`,
            explanation: summary === null || summary === undefined ? 'resolve with the response the callback gets' : undefined,
            hint: this.hint,
          });
        }
      },
    },
    {
      name: 'Your importTasks of an empty list resolves with zero (client.ts)',
      proves: 'importTasks half-closes even when it has nothing to send, so the server can answer',
      file: 'client.ts',
      hint: 'call.end() after the loop, not inside it: with no task the loop never runs, and the server waits for the half-close',
      moreHint:
        'The server answers once the client half-closes. With an empty list, a call.end() placed inside the loop (after the last task) never runs, and the import waits for ever. End after the loop, as writeAll does: `for (const message of messages) { ... } call.end();`',
      async run(harness) {
        const { imports } = await clientRuns(harness);
        const call = 'importTasks(client, [])';
        const settled = await reportOf(imports, 'import-empty', SCENARIO_WAIT_MS, `${call} to resolve with the summary`);
        harness.note(`your ${call} ${settledAs(settled)}`);
        expectResolved(settled, call, `${call} to resolve with { created_count: 0, rejected: [] }`);
        const summary = (settled as { value: ImportTasksResponse | null }).value;
        if (summary?.created_count !== 0 || summary.rejected.length !== 0) {
          throw new CheckFailure({ expected: `${call} to resolve with { created_count: 0, rejected: [] }`, received: summarize(summary) });
        }
      },
    },
    {
      name: 'Your importTasks rejects with the status when the import fails (client.ts)',
      proves: 'a server that refuses the import midway makes importTasks reject with that grpc.ServiceError (code and details)',
      file: 'client.ts',
      hint: 'in the callback: if (error) reject(error); the error is a grpc.ServiceError with .code and .details',
      moreHint:
        'The callback of client.ImportTasks gets `(error, response)`: exactly one is set. A server may refuse the whole import before the client has finished writing (here after two tasks, with RESOURCE_EXHAUSTED): then error is set and there is no response. `if (error) reject(error); else resolve(response!);`',
      async run(harness) {
        const { importFails } = await clientRuns(harness);
        const call = 'importTasks(client, [three tasks]) against a server that refuses the import after two';
        const expected = `it to reject with RESOURCE_EXHAUSTED: ${FAILED_IMPORT_DETAILS}`;
        const settled = await reportOf(importFails, 'import-fails', SCENARIO_WAIT_MS, expected);
        harness.note(`your ${call.split(' against')[0]} ${settledAs(settled)}`);
        const error = settled.kind === 'error' ? settled.error : undefined;
        if (!error?.serviceError || error.code !== grpc.status.RESOURCE_EXHAUSTED || error.details !== FAILED_IMPORT_DETAILS) {
          throw new CheckFailure({
            expected: `${call}: ${expected}`,
            received: `importTasks() ${settledAs(settled)}`,
            explanation:
              settled.kind === 'value'
                ? 'a callback gets (error, response): when error is set there is no response'
                : explainSettled(settled),
          });
        }
      },
    },
    {
      name: 'Your syncTasks hands over every message in order and resolves when the server ends (client.ts)',
      proves:
        'syncTasks sends the commands on one SyncTasks call, passes each event and answer to onResponse as it arrives, and resolves once the call ended with OK',
      file: 'client.ts',
      hint: "const call = client.SyncTasks(); call.on('data', onResponse); call.on('end', () => resolve()); then write each command and call.end()",
      moreHint:
        "`client.SyncTasks()` returns a duplex stream: you write commands to it and read messages from it, at the same time. Inside `new Promise(...)`: `call.on('data', onResponse)` hands over each message as it comes; `call.on('error', reject)` for a failed call; `call.on('end', () => resolve())` once the server ended the call. Then write the commands and half-close: `writeAll(call, commands).catch(reject);`",
      async run(harness) {
        const { sync } = await clientRuns(harness);
        const report = (await reportOf(sync, 'sync', SCENARIO_WAIT_MS, `${SYNC_CALL} to resolve`)) as unknown as SyncReport;
        const titles = ['Synced by your client', 'Created by your client'];
        const got = report.messages.filter((message) => message.result || titles.includes(message.event?.task?.title ?? ''));
        harness.note(`your ${SYNC_CALL} ${settledAs(report.settled)}; onResponse got ${describeAll(got)}`);
        expectResolved(report.settled, SYNC_CALL, `${SYNC_CALL} to resolve once the server ended the call`);
        const expected = [
          'event UPDATED "Synced by your client"',
          'result #0 OK "Synced by your client" DONE',
          'event CREATED "Created by your client"',
          'result #1 OK "Created by your client" TODO',
          'event DELETED "Synced by your client"',
          'result #2 OK "Synced by your client" DONE',
          'result #3 NOT_FOUND',
        ];
        const described = got.map(describeMessage);
        if (!isDeepStrictEqual(described, expected)) {
          const early = isDeepStrictEqual(described, expected.slice(0, described.length));
          throw new CheckFailure({
            expected: `onResponse called with ${expected.join(', ')} (update, create, delete, and an update of an unknown id, against the reference server), then syncTasks to resolve`,
            received: `syncTasks resolved when onResponse had got ${describeAll(got)}`,
            explanation: early
              ? 'it resolved before the server had sent everything: the messages come after your writes, until the server ends the call'
              : undefined,
            hint: early
              ? "resolve in call.on('end', ...): the server has ended the call, and every message has been handed over"
              : "write every command (in order) and pass every message to onResponse: call.on('data', onResponse)",
          });
        }
      },
    },
    {
      name: 'Your syncTasks half-closes, and keeps reading until the server ends (client.ts)',
      proves: 'syncTasks ends its direction after the last command, and resolves only after the messages the server sends after that',
      file: 'client.ts',
      hint: "half-close with call.end() after the last command, and resolve on the call's 'end' event, not when you finished writing",
      moreHint:
        "Two different ends: `call.end()` (yours: no more commands) and the call's 'end' event (theirs: the server ended the call). Between them the server may still send: answers to the last commands, other clients' events. So resolve in `call.on('end', ...)`; resolving after your last write, or on 'finish', loses what comes later. Without `call.end()`, a server that waits for your half-close never ends the call",
      async run(harness) {
        const { syncLate } = await clientRuns(harness);
        const call = `${SYNC_CALL} with two commands, against a server that sends two more messages once the client half-closed`;
        const report = (await reportOf(syncLate, 'sync', SCENARIO_WAIT_MS, `${SYNC_CALL} to resolve`)) as unknown as SyncReport;
        harness.note(
          `the server ${report.halfClosed ? 'saw' : 'never saw'} your half-close; your syncTasks ${settledAs(report.settled)} after onResponse got ${describeAll(report.messages)}`,
        );
        if (report.settled.kind === 'todo' || report.settled.kind === 'error') {
          expectResolved(report.settled, SYNC_CALL, `${call}: it to resolve once the server ended the call`);
        }
        if (!report.halfClosed) {
          throw new CheckFailure({
            expected: `${call}: your client to half-close after its commands`,
            received: `no half-close: syncTasks() ${settledAs(report.settled)}`,
            explanation: explainSettled(report.settled) ?? 'the server waits for the half-close before it ends the call',
            hint: 'call.end() after writing the last command (at the end of writeAll)',
          });
        }
        expectResolved(report.settled, SYNC_CALL, `${call}: it to resolve once the server ended the call`);
        const expected = ['result #0 OK', 'result #1 OK', ...LATE_TITLES.map((title) => `event CREATED "${title}"`)];
        if (!isDeepStrictEqual(report.messages.map(describeMessage), expected)) {
          throw new CheckFailure({
            expected: `${call}: onResponse called with ${expected.join(', ')} before syncTasks resolves`,
            received: `syncTasks resolved when onResponse had got ${describeAll(report.messages)}`,
            explanation: 'the server may still write after your half-close: the call is over only when it ends it',
          });
        }
      },
    },
    {
      name: "Your client waits for 'drain' when write() returns false (client.ts)",
      proves: `importTasks and syncTasks, each writing ${BACKPRESSURE_MESSAGES} messages, never write again while grpc-js asks them to wait`,
      file: 'client.ts',
      hint: "in writeAll: if (!call.write(message)) await once(call, 'drain');",
      moreHint:
        "call.write() returns false once 16 messages wait in grpc-js's buffer: it still takes the message, but asks you to stop until 'drain'. A loop that keeps writing buffers everything in memory, however slow the server or the network. In writeAll: `for (const message of messages) { if (!call.write(message)) await once(call, 'drain'); } call.end();` (once comes from node:events). Both importTasks and syncTasks write through it",
      async run(harness) {
        const { backpressure } = await clientRuns(harness);
        const report = (await reportOf(
          backpressure,
          'backpressure',
          SCENARIO_WAIT_MS * 2,
          'importTasks and syncTasks to finish',
        )) as unknown as Record<string, WriteWatch | Settled>;
        for (const [name, settledKey] of [
          ['importTasks', 'imported'],
          ['syncTasks', 'synced'],
        ] as const) {
          const settled = report[settledKey] as Settled;
          const watch = (report[name] as WriteWatch | undefined) ?? { writes: 0, refused: 0, ignored: 0 };
          harness.note(
            `your ${name} wrote ${watch.writes} message(s); write() returned false ${watch.refused} time(s); ${watch.ignored} write(s) did not wait for 'drain'; it ${settledAs(settled)}`,
          );
          if (settled.kind !== 'value') {
            const stuck = settled.kind === 'timeout' && watch.refused > 0 && watch.writes < BACKPRESSURE_MESSAGES;
            throw new CheckFailure({
              expected: `${name}(client, ${BACKPRESSURE_MESSAGES} messages) to finish`,
              received: `${name}() ${describeSettled(settled)}, after ${watch.writes} write(s)`,
              explanation: stuck
                ? "it stopped at the first write() that returned false and never went on: the event that says grpc-js can take more is 'drain'"
                : explainSettled(settled),
            });
          }
          if (watch.ignored > 0) {
            throw new CheckFailure({
              expected: `${name}, writing ${BACKPRESSURE_MESSAGES} messages, to wait for 'drain' each time write() returns false`,
              received: `write() returned false ${watch.refused} time(s), and ${watch.ignored} write(s) came before the 'drain'`,
              explanation:
                'grpc-js buffers every message you write: ignoring false lets a fast writer fill memory while the server or network is slow',
            });
          }
        }
      },
    },
    {
      name: 'Your syncTasks rejects with the status when the server fails mid-session (client.ts)',
      proves:
        'a session the server ends with an error makes syncTasks reject with that grpc.ServiceError, after handing over what came before',
      file: 'client.ts',
      hint: "call.on('error', reject): a failed call emits 'error' with the status, and then 'end' too, so resolving on 'end' alone hides it",
      moreHint:
        "When the server fails the call, the client stream emits 'error' (a grpc.ServiceError: .code, .details) and then 'end' as well. Listen to both: `call.on('error', reject); call.on('end', () => resolve());` rejects first, and the later resolve does nothing. Without an 'error' listener, Node.js throws and the program crashes",
      async run(harness) {
        // Last, on its own: a syncTasks without an 'error' listener crashes the process
        // that runs it, which must not take the other scenarios' reports with it.
        const syncFails = await harness.once('phase6-sync-fails', async () => {
          const { imports, importFails, sync, syncLate, backpressure } = await clientRuns(harness);
          await Promise.all([imports, importFails, sync, syncLate, backpressure].map((run) => run.finished));
          return harness.runScenario(DRIVER, 'syncFails');
        });
        const expected = `it to reject with UNAVAILABLE: ${FAILED_SESSION_DETAILS}, after onResponse got result #0`;
        const call = `${SYNC_CALL} against a server that answers the first command, then fails the call with UNAVAILABLE`;
        const report = (await reportOf(syncFails, 'sync', SCENARIO_WAIT_MS, `${call}: ${expected}`).catch((failure: CheckFailure) => {
          if (!syncFails.crashed()) throw failure;
          throw new CheckFailure({
            ...failure.details,
            explanation: "a call that fails emits 'error': with no listener for it, Node.js throws and the whole program stops",
          });
        })) as unknown as SyncReport;
        harness.note(`your syncTasks ${settledAs(report.settled)}; onResponse got ${describeAll(report.messages)}`);
        const error = report.settled.kind === 'error' ? report.settled.error : undefined;
        const fails = error?.serviceError && error.code === grpc.status.UNAVAILABLE && error.details === FAILED_SESSION_DETAILS;
        if (!fails || report.messages.map(describeMessage).join() !== 'result #0 OK') {
          throw new CheckFailure({
            expected: `${call}: ${expected}`,
            received: `syncTasks() ${settledAs(report.settled)}; onResponse got ${describeAll(report.messages)}`,
            explanation:
              report.settled.kind !== 'value'
                ? explainSettled(report.settled)
                : report.messages.length === 0
                  ? "it resolved before anything came back: resolve in call.on('end', ...) and reject in call.on('error', ...)"
                  : "'end' follows a failure too: reject in call.on('error', ...) so the failure is not taken for a normal end",
          });
        }
      },
    },
  ],
};
