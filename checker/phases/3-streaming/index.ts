// Phase 3: WatchTasks on the learner's server (events, several watchers, a
// watcher that leaves, shutdown), and the learner's watchTasks client.
import { isDeepStrictEqual } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { statusName, type Task, type TaskEvent } from '../../../lib/client-runtime.ts';
import { parseRpcLogLine } from '../../../lib/rpc-log.ts';
import { CheckFailure, NotRun } from '../../harness/failures.ts';
import { EVENT_WAIT_MS, type Harness, type Target } from '../../harness/harness.ts';
import type { Phase } from '../../harness/phase.ts';
import { describeSettled, explainSettled, reportOf } from '../../harness/settled.ts';
import { type CollectedStream, collectStream } from '../../harness/streams.ts';
import { FAILED_STREAM_DETAILS } from './driver.ts';

const DRIVER = new URL('./driver.ts', import.meta.url);

type Watcher = CollectedStream<TaskEvent> & { cancel(): void };

const short = (type: unknown) => String(type).replace('TASK_EVENT_TYPE_', '');
const describeEvents = (events: TaskEvent[]) =>
  events.length === 0 ? 'no event' : events.map((event) => `${short(event.event_type)} ${event.task?.id ?? '(no task)'}`).join(', ');

/** Opens WatchTasks on `target` and collects what arrives (cancelled when the run ends). */
async function watch(harness: Harness, target: Target): Promise<Watcher> {
  const client = await harness.client(target);
  harness.note('→ WatchTasks {}');
  const stream = client.WatchTasks({}, harness.metadataFor(target));
  stream.on('data', (event: TaskEvent) => harness.note(`← event ${JSON.stringify(event)}`));
  stream.on('status', (status: grpc.StatusObject) => {
    if (status.code !== grpc.status.CANCELLED) harness.note(`← WatchTasks ended: ${statusName(status.code)} ${status.details}`);
  });
  harness.onCleanup(() => stream.cancel());
  return Object.assign(collectStream(stream), { cancel: () => stream.cancel() });
}

/**
 * The learner server's subscriber count before a check opens watchers. Earlier
 * checks cancelled theirs, and the server reports forgetting them a moment
 * later: wait (briefly) for that, so the count is not stale.
 */
async function watcherBaseline(harness: Harness): Promise<number> {
  const { subscribers } = await harness.learner();
  if (subscribers.value === undefined) return 0;
  await subscribers.waitFor((count) => count === 0, 300);
  return subscribers.value;
}

/**
 * Waits until the server has surely registered the watchers opened so far: a
 * round trip on the same connection, then (if the server reports it) the
 * subscriber count reaching `atLeast`.
 */
async function settleWatchers(harness: Harness, atLeast: number): Promise<void> {
  await harness.rpc('learner', 'GetTask', { id: 'checker-barrier' }); // any answer will do, even an error
  const { subscribers } = await harness.learner();
  if (subscribers.value !== undefined) await subscribers.waitFor((count) => count >= atLeast, 500);
}

/** Why a watcher got fewer events than expected: its stream ended, or it never wrote. */
async function missingEvents(harness: Harness, watcher: Watcher, expected: number, after: string): Promise<CheckFailure> {
  const status = watcher.status;
  if (status) {
    return new CheckFailure({
      expected: `${expected} event(s) on the WatchTasks stream after ${after}`,
      received: `${describeEvents(watcher.messages)}, then the stream ended with ${statusName(status.code)}: ${status.details}`,
      explanation: await harness.explain('WatchTasks', status.code, status.details),
      hint: 'keep the stream open: do not call call.end() in the handler; the store calls you back for every change',
    });
  }
  return new CheckFailure({
    expected: `${expected} event(s) on the WatchTasks stream after ${after}`,
    received:
      watcher.messages.length === 0
        ? `WatchTasks sent no event within ${EVENT_WAIT_MS / 1000} s after ${after}`
        : `only ${describeEvents(watcher.messages)} within ${EVENT_WAIT_MS / 1000} s`,
    explanation: watcher.messages.length === 0 ? 'you never wrote to the stream: stream.write(event) for each event' : undefined,
  });
}

function expectEvents(events: TaskEvent[], expected: Array<[string, string]>, who: string, hint: string): void {
  const got = events.slice(0, expected.length).map((event) => [String(event.event_type), event.task?.id ?? '']);
  if (!isDeepStrictEqual(got, expected)) {
    throw new CheckFailure({
      expected: `${who} to receive ${expected.map(([type, id]) => `${short(type)} ${id}`).join(', ')} (in this order)`,
      received: describeEvents(events),
      hint,
    });
  }
}

/** A task created as a step (so a broken CreateTask makes the check "not run", not fail). */
async function createTask(harness: Harness, title: string): Promise<Task> {
  const { task } = await harness.needOk('learner', 'CreateTask', { title });
  if (!task) throw new NotRun('needs CreateTask to answer with its task (Phase 2)');
  return task;
}

/** The learner's watchTasks against the reference server, once per run. */
function clientWatch(harness: Harness) {
  return harness.once('phase3-client-watch', async () => {
    const reference = await harness.reference();
    const run = await harness.runScenario(DRIVER, 'watch', { address: reference.address });
    return { run, reference };
  });
}

const WRITE_HINT = 'write each event as the store hands it over, at once: stream.write(event) inside the subscribe callback';

export const phase: Phase = {
  number: 3,
  title: 'Server streaming: WatchTasks',
  prepare(harness) {
    void harness.learner().catch(() => {});
    harness.prepareClientHost();
  },
  starting: (harness) => `Starting your server (${harness.displayFile('server.ts')}) and your client against the reference server…`,
  checks: [
    {
      name: 'A watcher receives CREATED, UPDATED and DELETED in order',
      proves: 'WatchTasks writes every change as a TaskEvent with its type and the task, in the order they happen',
      file: 'server.ts',
      hint: 'const stream = boundedEventStream(call); store.subscribe((event) => stream.write(event), () => stream.end()) inside WatchTasks',
      moreHint:
        'WatchTasks(call) has no callback: subscribe and write. `const stream = boundedEventStream(call); const unsubscribe = store.subscribe((event) => { if (!stream.write(event)) unsubscribe(); }, () => stream.end());` Each event is already a TaskEvent message, so write it unchanged. Do not end the stream right after subscribing: the handler returns at once and the stream stays open until the client leaves',
      async run(harness) {
        const baseline = await watcherBaseline(harness);
        const watcher = await watch(harness, 'learner');
        await settleWatchers(harness, baseline + 1);
        const created = await createTask(harness, 'Watch me');
        await harness.needOk('learner', 'UpdateTask', { id: created.id, status: 'TASK_STATUS_DONE' });
        await harness.needOk('learner', 'DeleteTask', { id: created.id });
        if (!(await watcher.waitForMessages(3, EVENT_WAIT_MS)))
          throw await missingEvents(harness, watcher, 3, 'CreateTask, UpdateTask and DeleteTask');
        expectEvents(
          watcher.messages,
          [
            ['TASK_EVENT_TYPE_CREATED', created.id],
            ['TASK_EVENT_TYPE_UPDATED', created.id],
            ['TASK_EVENT_TYPE_DELETED', created.id],
          ],
          'the watcher',
          WRITE_HINT,
        );
        const [createdEvent, updatedEvent] = watcher.messages;
        if (createdEvent!.task!.title !== 'Watch me' || updatedEvent!.task!.status !== 'TASK_STATUS_DONE') {
          throw new CheckFailure({
            expected: 'each event to carry the task as it is after the change (title "Watch me", then status DONE)',
            received: describeEvents(watcher.messages),
          });
        }
        watcher.cancel();
      },
    },
    {
      name: 'Two watchers both receive every event',
      proves: 'every open WatchTasks call gets its own copy of each event',
      file: 'server.ts',
      hint: 'subscribe once per WatchTasks call (not once per server): each call keeps its own subscription',
      moreHint:
        'Every WatchTasks call needs its own subscription, created inside the handler: `store.subscribe(...)` once per call, writing to that call’s stream. A single subscription made outside the handler (or one `call` kept in a variable shared by all calls) delivers each event to one watcher only',
      async run(harness) {
        const baseline = await watcherBaseline(harness);
        const first = await watch(harness, 'learner');
        const second = await watch(harness, 'learner');
        await settleWatchers(harness, baseline + 2);
        const created = await createTask(harness, 'Seen twice');
        await harness.needOk('learner', 'DeleteTask', { id: created.id });
        const expected: Array<[string, string]> = [
          ['TASK_EVENT_TYPE_CREATED', created.id],
          ['TASK_EVENT_TYPE_DELETED', created.id],
        ];
        for (const [name, watcher] of [
          ['the first watcher', first],
          ['the second watcher', second],
        ] as const) {
          if (!(await watcher.waitForMessages(2, EVENT_WAIT_MS))) {
            const failure = await missingEvents(harness, watcher, 2, 'CreateTask and DeleteTask');
            throw new CheckFailure({ ...failure.details, expected: `${name}: ${failure.details.expected}`, hint: this.hint });
          }
          expectEvents(watcher.messages, expected, name, WRITE_HINT);
        }
        first.cancel();
        second.cancel();
      },
    },
    {
      name: 'A watcher that leaves is forgotten, and the others keep working',
      proves: 'after a client cancels, the server unsubscribes it (no leak), later RPCs work and other watchers still get events',
      file: 'server.ts',
      hint: "call.on('cancelled', unsubscribe): 'cancelled' fires when the client goes away",
      moreHint:
        'store.subscribe returns an unsubscribe function: keep it and call it when the client goes away, `call.on("cancelled", unsubscribe)`. Calling it twice is safe. Without it store.subscriberCount keeps growing, and the store keeps writing to a stream nobody reads',
      async run(harness) {
        const { subscribers } = await harness.learner();
        const baseline = await watcherBaseline(harness);
        const leaving = await watch(harness, 'learner');
        const staying = await watch(harness, 'learner');
        await settleWatchers(harness, baseline + 2);
        const measured = subscribers.value !== undefined && subscribers.value >= baseline + 2;
        leaving.cancel();
        harness.note('(the first watcher cancels)');
        if (measured && !(await subscribers.waitFor((count) => count <= baseline + 1, EVENT_WAIT_MS))) {
          throw new CheckFailure({
            expected: `the server to forget the cancelled watcher within ${EVENT_WAIT_MS / 1000} s (${baseline + 1} subscriber(s) left)`,
            received: `still ${subscribers.value} subscribers: the cancelled watcher leaks`,
            explanation: 'a subscription that is never removed keeps its stream (and memory) for ever, and the store keeps writing to it',
          });
        }
        if (!measured) harness.note('(subscriber count not reported: your server does not use lib/store.ts, so the leak is not measured)');
        const created = await createTask(harness, 'After a watcher left');
        if (!(await staying.waitForMessages(1, EVENT_WAIT_MS)))
          throw await missingEvents(harness, staying, 1, 'the other watcher left and CreateTask was called');
        expectEvents(staying.messages, [['TASK_EVENT_TYPE_CREATED', created.id]], 'the remaining watcher', WRITE_HINT);
        await harness.needOk('learner', 'GetTask', { id: created.id });
        staying.cancel();
      },
    },
    {
      name: 'Your watchTasks client receives the events (client.ts)',
      proves: 'watchTasks opens WatchTasks on the reference server and hands each event to onEvent, in order',
      file: 'client.ts',
      hint: "const stream = client.WatchTasks({}); stream.on('data', onEvent); return stream;",
      moreHint:
        'In client.ts: `const stream = client.WatchTasks({});` opens the call; `stream.on("data", onEvent)` hands each TaskEvent over; add `stream.on("error", (error) => ...)` that stays quiet for `grpc.status.CANCELLED` (we cancelled) and prints any other code and its details; then `return stream` so the caller can cancel it. Remove the `throw new TodoHumanError(...)` line',
      async run(harness) {
        const { run, reference } = await clientWatch(harness);
        const opened = await reportOf(
          run,
          'opened',
          EVENT_WAIT_MS * 2,
          'watchTasks(client, onEvent) to open a WatchTasks call and return its stream',
        );
        if (opened.kind !== 'value' || opened.value !== 'a stream') {
          throw new CheckFailure({
            expected: 'watchTasks(client, onEvent) to open a WatchTasks call and return its stream',
            received: opened.kind === 'value' ? `it returned ${String(opened.value)}` : `watchTasks() ${describeSettled(opened)}`,
            explanation:
              explainSettled(opened) ??
              (opened.kind === 'value' ? 'return the value of client.WatchTasks({}), so the caller can cancel it' : undefined),
          });
        }
        if (!(await reference.subscribers.waitFor((count) => count > 0, EVENT_WAIT_MS))) {
          throw new CheckFailure({
            expected: 'a WatchTasks call on the server',
            received: `no WatchTasks call within ${EVENT_WAIT_MS / 1000} s`,
          });
        }
        const task = reference.store.create({ title: 'Stream to your client', description: '', tags: [] });
        reference.store.update(task.id, { status: 'TASK_STATUS_IN_PROGRESS' });
        reference.store.delete(task.id);
        harness.note(`(the reference server created, updated and deleted task ${task.id})`);
        await run.waitFor(
          (m) => m.type === 'report' && m.label === 'event' && (m.value as TaskEvent).event_type === 'TASK_EVENT_TYPE_DELETED',
          EVENT_WAIT_MS,
        );
        const received = run.messages.flatMap((m) => (m.type === 'report' && m.label === 'event' ? [m.value as TaskEvent] : []));
        const expected = ['CREATED', 'UPDATED', 'DELETED'].map((type) => `${type} ${task.id}`).join(', ');
        if (describeEvents(received) !== expected) {
          throw new CheckFailure({
            expected: `onEvent called with ${expected}`,
            received: received.length === 0 ? `onEvent was not called within ${EVENT_WAIT_MS / 1000} s` : describeEvents(received),
            hint: "stream.on('data', onEvent): every message on the stream is one TaskEvent",
          });
        }
      },
    },
    {
      name: 'Your watchTasks stays quiet when cancelled and reports a failed stream (client.ts)',
      proves: 'after stream.cancel() the client neither crashes nor prints an error; a stream that fails prints its code and details',
      file: 'client.ts',
      hint: "stream.on('error', (error) => { if (error.code !== grpc.status.CANCELLED) console.error(`${grpc.status[error.code]}: ${error.details}`); })",
      moreHint:
        'A stream that ends with an error status emits "error"; with no listener for it, Node.js throws and the program crashes, and stream.cancel() ends the stream with CANCELLED. So always listen: `stream.on("error", (error: grpc.ServiceError) => { ... })`, stay quiet for `grpc.status.CANCELLED` (it was you), and print anything else with its name and details: `console.error(`WatchTasks failed: ${grpc.status[error.code]}: ${error.details}`)`',
      async run(harness) {
        const { run } = await clientWatch(harness);
        const afterCancel = await reportOf(run, 'after-cancel', EVENT_WAIT_MS * 2, 'your client to stay quiet after stream.cancel()');
        if (afterCancel.kind !== 'value') {
          throw new CheckFailure({
            expected: 'watchTasks(client, onEvent) to return a stream that can be cancelled',
            received: `watchTasks() ${describeSettled(afterCancel)}`,
            explanation: explainSettled(afterCancel),
          });
        }
        // Other scenarios run in the same process: their RPC log lines (method=…) are not this client's output.
        const printed = (afterCancel.value as string[]).filter((line) => parseRpcLogLine(line) === undefined);
        if (printed.some((line) => /CANCELLED/.test(line))) {
          throw new CheckFailure({
            expected: 'nothing printed after the client itself called stream.cancel()',
            received: printed.join(' | '),
            explanation: 'CANCELLED is the status of our own cancel: the normal way to stop watching, not a failure',
          });
        }
        const failing = await harness.runScenario(DRIVER, 'watchFails');
        const reported = await reportOf(failing, 'printed', EVENT_WAIT_MS * 2, 'your client to print the failed stream’s code and details');
        const line = reported.kind === 'value' ? (reported.value as string | null) : null;
        if (!line || !/RESOURCE_EXHAUSTED|\b8\b/.test(line)) {
          throw new CheckFailure({
            expected: `a line with the code (RESOURCE_EXHAUSTED) and details ("${FAILED_STREAM_DETAILS}") of a stream the server failed`,
            received: reported.kind !== 'value' ? `watchTasks() ${describeSettled(reported)}` : line ? `only: ${line}` : 'nothing printed',
            explanation: explainSettled(reported),
          });
        }
      },
    },
    {
      name: 'At shutdown, open watch streams end with OK',
      proves:
        'when the server shuts down (Ctrl+C, SIGTERM), the store closes and WatchTasks ends each open stream with OK, so the server can stop at once',
      file: 'server.ts',
      hint: 'the second callback of store.subscribe runs at shutdown: end the stream there (stream.end())',
      moreHint:
        '`store.subscribe(onEvent, onStoreClosed)`: the store calls onStoreClosed when the server shuts down. End the stream there: `() => stream.end()`. A server waits for open calls to finish before it stops, so a stream nobody ends holds the shutdown until it is cut off, and the watcher sees a failure instead of a clean end',
      async run(harness) {
        const baseline = await watcherBaseline(harness);
        const watcher = await watch(harness, 'learner');
        await settleWatchers(harness, baseline + 1);
        // The server itself runs on for the next phases (unless it has a main() of its own).
        await harness.expectEndsAtShutdown(watcher, 'WatchTasks', 'WatchTasks stream');
      },
    },
  ],
};
