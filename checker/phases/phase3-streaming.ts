// Phase 3: WatchTasks on the learner's server, and the learner's watchTasks client.
import { isDeepStrictEqual } from 'node:util';
import { statusName, type Task, type TaskEvent } from '../../lib/client-runtime.ts';
import { type DriverProcess, EVENT_WAIT_MS, type Harness, type WatchHandle } from '../harness.ts';
import { CheckFailure, NotRun, type Phase } from '../types.ts';

const short = (type: unknown) => String(type).replace('TASK_EVENT_TYPE_', '');
const describeEvents = (events: TaskEvent[]) =>
  events.length === 0 ? 'no event' : events.map((event) => `${short(event.event_type)} ${event.task?.id ?? '(no task)'}`).join(', ');

/** Why a watcher got fewer events than expected: its stream ended, or it never wrote. */
async function missingEvents(harness: Harness, watcher: WatchHandle, expected: number, after: string): Promise<CheckFailure> {
  const status = watcher.status;
  if (status) {
    return new CheckFailure({
      expected: `${expected} event(s) on the WatchTasks stream after ${after}`,
      received: `${describeEvents(watcher.events)}, then the stream ended with ${statusName(status.code)}: ${status.details}`,
      explanation: await harness.explain('WatchTasks', status.code, status.details),
      hint: 'keep the stream open: do not call call.end() in the handler; the store calls you back for every change',
    });
  }
  return new CheckFailure({
    expected: `${expected} event(s) on the WatchTasks stream after ${after}`,
    received:
      watcher.events.length === 0
        ? `WatchTasks sent no event within ${EVENT_WAIT_MS / 1000} s after ${after}`
        : `only ${describeEvents(watcher.events)} within ${EVENT_WAIT_MS / 1000} s`,
    explanation: watcher.events.length === 0 ? 'you never wrote to the stream: call.write(event) for each event' : undefined,
  });
}

function expectEvents(watcher: WatchHandle, expected: Array<[string, string]>, who = 'the watcher'): void {
  const got = watcher.events.slice(0, expected.length).map((event) => [String(event.event_type), event.task?.id ?? '']);
  if (!isDeepStrictEqual(got, expected)) {
    throw new CheckFailure({
      expected: `${who} to receive ${expected.map(([type, id]) => `${short(type)} ${id}`).join(', ')} (in this order)`,
      received: describeEvents(watcher.events),
      hint: 'write each event as the store hands it over, at once: call.write(event) inside the subscribe callback',
    });
  }
}

/** A task created as a step (so a broken CreateTask makes the check "not run", not fail). */
async function createTask(harness: Harness, title: string): Promise<Task> {
  const { task } = await harness.needOk('learner', 'CreateTask', { title });
  if (!task) throw new NotRun('needs CreateTask to answer with its task (Phase 2)');
  return task;
}

/** The learner's watchTasks, running against the reference server (started once per phase). */
function watchDriver(harness: Harness): Promise<DriverProcess> {
  return harness.once('watch-driver', async () => {
    const reference = await harness.reference();
    return harness.driver('watch', ['--address', reference.address]);
  });
}

export const phase3: Phase = {
  number: 3,
  title: 'Server streaming: WatchTasks',
  files: ['exercises/server.ts', 'exercises/client.ts'],
  prepare(harness) {
    void harness.learner().catch(() => {});
    void watchDriver(harness).catch(() => {});
  },
  starting: (harness) => `Starting your server… (${harness.implFile('server.ts')}) and the reference server for your client`,
  checks: [
    {
      name: 'A watcher receives CREATED, UPDATED and DELETED in order',
      proves: 'WatchTasks writes every change as a TaskEvent with its type and the task, in the order they happen',
      hint: 'store.subscribe((event) => call.write(event), () => call.end()) inside WatchTasks',
      moreHint:
        'WatchTasks(call) has no callback: subscribe and write. `const unsubscribe = store.subscribe((event) => call.write(event), () => call.end());` Each event is already a TaskEvent message, so write it unchanged. Do not call call.end() yourself right after subscribing: the handler returns at once and the stream stays open until the client leaves',
      async run(harness) {
        const baseline = await harness.watcherBaseline();
        const watcher = await harness.watch('learner');
        await harness.settleWatchers(baseline + 1);
        const created = await createTask(harness, 'Watch me');
        await harness.needOk('learner', 'UpdateTask', { id: created.id, status: 'TASK_STATUS_DONE' });
        await harness.needOk('learner', 'DeleteTask', { id: created.id });
        if (!(await watcher.waitForEvents(3))) throw await missingEvents(harness, watcher, 3, 'CreateTask, UpdateTask and DeleteTask');
        expectEvents(watcher, [
          ['TASK_EVENT_TYPE_CREATED', created.id],
          ['TASK_EVENT_TYPE_UPDATED', created.id],
          ['TASK_EVENT_TYPE_DELETED', created.id],
        ]);
        const [createdEvent, updatedEvent] = watcher.events;
        if (createdEvent!.task!.title !== 'Watch me' || updatedEvent!.task!.status !== 'TASK_STATUS_DONE') {
          throw new CheckFailure({
            expected: 'each event to carry the task as it is after the change (title "Watch me", then status DONE)',
            received: describeEvents(watcher.events),
          });
        }
        watcher.cancel();
      },
    },
    {
      name: 'Two watchers both receive every event',
      proves: 'every open WatchTasks call gets its own copy of each event',
      hint: 'subscribe once per WatchTasks call (not once per server): each call keeps its own subscription',
      moreHint:
        'Every WatchTasks call needs its own subscription, created inside the handler: `store.subscribe(...)` once per call, writing to that call’s stream. A single subscription made outside the handler (or one `call` kept in a variable shared by all calls) delivers each event to one watcher only',
      async run(harness) {
        const baseline = await harness.watcherBaseline();
        const first = await harness.watch('learner');
        const second = await harness.watch('learner');
        await harness.settleWatchers(baseline + 2);
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
          if (!(await watcher.waitForEvents(2))) {
            const failure = await missingEvents(harness, watcher, 2, 'CreateTask and DeleteTask');
            throw new CheckFailure({ ...failure.details, expected: `${name}: ${failure.details.expected}`, hint: this.hint });
          }
          expectEvents(watcher, expected, name);
        }
        first.cancel();
        second.cancel();
      },
    },
    {
      name: 'A watcher that leaves is forgotten, and the others keep working',
      proves: 'after a client cancels, the server unsubscribes it (no leak), later RPCs work and other watchers still get events',
      hint: "call.on('cancelled', unsubscribe): 'cancelled' fires when the client goes away",
      moreHint:
        'store.subscribe returns an unsubscribe function: keep it and call it when the client goes away, `call.on("cancelled", unsubscribe)`. Calling it twice is safe. Without it store.subscriberCount keeps growing, and the store keeps writing to a stream nobody reads',
      async run(harness) {
        const { subscribers } = await harness.learner();
        const baseline = await harness.watcherBaseline();
        const leaving = await harness.watch('learner');
        const staying = await harness.watch('learner');
        await harness.settleWatchers(baseline + 2);
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
        if (!(await staying.waitForEvents(1)))
          throw await missingEvents(harness, staying, 1, 'the other watcher left and CreateTask was called');
        expectEvents(staying, [['TASK_EVENT_TYPE_CREATED', created.id]], 'the remaining watcher');
        await harness.needOk('learner', 'GetTask', { id: created.id });
        staying.cancel();
      },
    },
    {
      name: 'Your watchTasks client receives the events (client.ts)',
      proves: 'watchTasks opens WatchTasks on the reference server and hands each event to onEvent, in order',
      hint: "const stream = client.WatchTasks({}); stream.on('data', onEvent); return stream;",
      moreHint:
        'In exercises/client.ts: `const stream = client.WatchTasks({});` opens the call; `stream.on("data", onEvent)` hands each TaskEvent over; add `stream.on("error", (error) => ...)` that stays quiet for `grpc.status.CANCELLED` (we cancelled) and prints any other code and its details; then `return stream` so the caller can cancel it. Remove the `throw new TodoHumanError(...)` line',
      async run(harness) {
        const reference = await harness.reference();
        const driver = await watchDriver(harness);
        const store = reference.running.store;
        const problemReported = (m: { type: string }) => m.type === 'todo' || m.type === 'threw';
        const subscribed = await Promise.race([
          reference.subscribers.waitFor((count) => count > 0, EVENT_WAIT_MS),
          driver.waitForMessage(problemReported, EVENT_WAIT_MS).then(() => false),
        ]);
        if (!subscribed) {
          const problem = driver.messages.find(problemReported);
          throw new CheckFailure({
            expected: 'watchTasks(client, onEvent) to open a WatchTasks call on the server',
            received:
              problem && 'message' in problem ? problem.message.split('\n')[0]! : `no WatchTasks call within ${EVENT_WAIT_MS / 1000} s`,
            explanation: problem?.type === 'todo' ? 'watchTasks() is still a TODO(human): see PHASES.md, Phase 3, step 2' : undefined,
          });
        }
        const task = store.create({ title: 'Stream to your client', description: '', tags: [] });
        store.update(task.id, { status: 'TASK_STATUS_IN_PROGRESS' });
        store.delete(task.id);
        harness.note(`(the reference server created, updated and deleted task ${task.id})`);
        const events = async () => {
          await driver.waitForMessage((m) => m.type === 'event' && m.event.event_type === 'TASK_EVENT_TYPE_DELETED', EVENT_WAIT_MS);
          return driver.messages.flatMap((m) => (m.type === 'event' ? [m.event] : []));
        };
        const received = await events();
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
  ],
};
