// How the reference server behaves under faults (issue: bad input, watchers that
// leave, slow consumers, deadlines, shutdown, concurrency, limits). Everything is
// bounded: 127.0.0.1, fixed counts, a timeout on every wait, children killed.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import path from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { callUnary, deadlineAfter, isServiceError, type Task, type TaskEvent } from '../lib/client-runtime.ts';
import { MAX_QUEUED_EVENTS } from '../lib/event-stream.ts';
import { type ChildTsProcess, type ServerProcess, spawnTs, startServerProcess } from '../lib/process.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import type { TaskStore } from '../lib/store.ts';
import { LIMITS } from '../lib/task-rules.ts';
import { createTaskManagerHandlers } from '../solutions/server.ts';
import { buildImplementation } from './checker-fixtures.ts';
import { WRONG_PROGRAMS } from './fixtures/wrong-programs.ts';
import { startTestServer, type TestServer, waitUntil, watch, withTimeout } from './helpers.ts';

const children: Array<ChildTsProcess | ServerProcess> = [];
after(() => Promise.all(children.map((child) => child.stop(500))));

async function outcome(promise: Promise<unknown>): Promise<{ code: string; details: string }> {
  try {
    await promise;
    return { code: 'OK', details: '' };
  } catch (error) {
    assert.ok(isServiceError(error), String(error));
    return { code: grpc.status[error.code]!, details: error.details };
  }
}

describe('bad input', () => {
  let server: TestServer;
  let existing: Task;
  before(async () => {
    server = await startTestServer();
    existing = (await callUnary(server.client, 'CreateTask', { title: 'Keep me', description: 'd', tags: ['keep'] })).task!;
  });
  after(() => server.close());

  const long = (n: number) => 'x'.repeat(n);
  type Case = [
    rpc: 'CreateTask' | 'GetTask' | 'UpdateTask' | 'DeleteTask' | 'ListTasks',
    request: () => object,
    code: string,
    details: RegExp,
  ];
  const CASES: Case[] = [
    ['CreateTask', () => ({ title: '' }), 'INVALID_ARGUMENT', /^title: must not be blank$/],
    ['CreateTask', () => ({ title: '   ' }), 'INVALID_ARGUMENT', /^title: must not be blank$/],
    ['CreateTask', () => ({ title: '\t\n ' }), 'INVALID_ARGUMENT', /^title: must not be blank$/],
    ['CreateTask', () => ({ title: long(100_000) }), 'INVALID_ARGUMENT', /^title: must be at most 200 characters \(got 100000\)$/],
    ['CreateTask', () => ({ title: long(LIMITS.titleMaxChars + 1) }), 'INVALID_ARGUMENT', /^title: must be at most 200/],
    ['CreateTask', () => ({ title: 'a\u0000b' }), 'INVALID_ARGUMENT', /^title: must not contain control characters/],
    ['CreateTask', () => ({ title: 'line one\nline two' }), 'INVALID_ARGUMENT', /^title: must not contain control characters/],
    ['CreateTask', () => ({ title: 'escape \u001b[31m red' }), 'INVALID_ARGUMENT', /^title: must not contain control characters/],
    [
      'CreateTask',
      () => ({ title: 'ok', description: long(LIMITS.descriptionMaxChars + 1) }),
      'INVALID_ARGUMENT',
      /^description: must be at most 2000/,
    ],
    [
      'CreateTask',
      () => ({ title: 'ok', description: 'bell \u0007' }),
      'INVALID_ARGUMENT',
      /^description: must not contain control characters/,
    ],
    [
      'CreateTask',
      () => ({ title: 'ok', tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }),
      'INVALID_ARGUMENT',
      /^tags: must have at most 10 tags \(got 11\)$/,
    ],
    ['CreateTask', () => ({ title: 'ok', tags: ['a', 'b', 'a'] }), 'INVALID_ARGUMENT', /^tags\[2\]: repeats "a"$/],
    ['CreateTask', () => ({ title: 'ok', tags: [''] }), 'INVALID_ARGUMENT', /^tags\[0\]: must not be blank$/],
    ['CreateTask', () => ({ title: 'ok', tags: ['two words'] }), 'INVALID_ARGUMENT', /^tags\[0\]: must not contain spaces/],
    ['CreateTask', () => ({ title: 'ok', tags: [long(33)] }), 'INVALID_ARGUMENT', /^tags\[0\]: must be at most 32 characters$/],
    ['GetTask', () => ({ id: '' }), 'INVALID_ARGUMENT', /^id: must not be blank$/],
    ['GetTask', () => ({ id: long(65) }), 'INVALID_ARGUMENT', /^id: is not a task id$/],
    ['GetTask', () => ({ id: 'bad\u0000id' }), 'INVALID_ARGUMENT', /^id: is not a task id$/],
    ['GetTask', () => ({ id: 'never-issued' }), 'NOT_FOUND', /"never-issued"/],
    ['GetTask', () => ({ id: '00000000-0000-4000-8000-000000000000' }), 'NOT_FOUND', /00000000-0000-4000-8000-000000000000/],
    ['UpdateTask', () => ({ id: existing.id, title: '' }), 'INVALID_ARGUMENT', /^title: must not be blank$/],
    ['UpdateTask', () => ({ id: existing.id, title: long(201) }), 'INVALID_ARGUMENT', /^title: must be at most 200/],
    ['UpdateTask', () => ({ id: existing.id, description: '\u0001' }), 'INVALID_ARGUMENT', /^description: must not contain control/],
    ['UpdateTask', () => ({ id: existing.id, status: 99 }), 'INVALID_ARGUMENT', /^status: 99 is not a known TaskStatus$/],
    ['UpdateTask', () => ({ id: existing.id, status: -1 }), 'INVALID_ARGUMENT', /^status: -1 is not a known TaskStatus$/],
    ['UpdateTask', () => ({ id: '', title: 'x' }), 'INVALID_ARGUMENT', /^id: must not be blank$/],
    ['UpdateTask', () => ({ id: 'never-issued', title: 'x' }), 'NOT_FOUND', /"never-issued"/],
    ['DeleteTask', () => ({ id: '' }), 'INVALID_ARGUMENT', /^id: must not be blank$/],
    ['DeleteTask', () => ({ id: long(1000) }), 'INVALID_ARGUMENT', /^id: is not a task id$/],
    ['DeleteTask', () => ({ id: 'never-issued' }), 'NOT_FOUND', /"never-issued"/],
    ['ListTasks', () => ({ status: 99 }), 'INVALID_ARGUMENT', /^status: 99 is not a known TaskStatus$/],
    ['ListTasks', () => ({ status: 'TASK_STATUS_UNSPECIFIED' }), 'INVALID_ARGUMENT', /^status: TASK_STATUS_UNSPECIFIED is not a known/],
    ['ListTasks', () => ({ tag: ' ' }), 'INVALID_ARGUMENT', /^tag: must not be blank$/],
  ];

  it(`answers ${CASES.length} bad requests with the right code and a field-naming detail, changing nothing`, async () => {
    const before = JSON.stringify(server.store.list());
    for (const [rpc, request, code, details] of CASES) {
      const result = await outcome(callUnary(server.client, rpc, request() as never));
      assert.equal(result.code, code, `${rpc} ${JSON.stringify(request()).slice(0, 80)}`);
      assert.match(result.details, details, `${rpc} ${JSON.stringify(request()).slice(0, 80)}`);
    }
    assert.equal(JSON.stringify(server.store.list()), before, 'the store is as it was');
  });

  it('accepts what is valid at the edges: mixed scripts, emoji, exactly the limits', async () => {
    const start = 'Tâche 任务 задача مهمة 🚀';
    const title = `${start}${'é'.repeat(LIMITS.titleMaxChars - [...start].length)}`;
    assert.equal([...title].length, LIMITS.titleMaxChars);
    const tags = Array.from({ length: LIMITS.maxTags }, (_, i) => `tag-${i}-${'z'.repeat(LIMITS.tagMaxChars - 7)}`);
    const { task } = await callUnary(server.client, 'CreateTask', { title, description: 'line 1\n\tline 2', tags });
    assert.equal(task!.title, title);
    assert.deepEqual(task!.tags, tags);
    await callUnary(server.client, 'DeleteTask', { id: task!.id });
  });

  it('with both oneof members on the wire, the last one wins (protobuf rule), not an error', async () => {
    // protobufjs writes every field it is given; the reader keeps the last member.
    const { tasks } = await callUnary(server.client, 'ListTasks', { status: 'TASK_STATUS_DONE', tag: 'keep' } as never);
    assert.deepEqual(
      tasks.map((task) => task.id),
      [existing.id],
    );
  });

  for (const [name, body] of [
    ['not protobuf at all', Buffer.concat([Buffer.from([0, 0, 0, 0, 4]), Buffer.from([0xff, 0xff, 0xff, 0xff])])],
    ['a length prefix longer than the body', Buffer.from([0, 0, 0, 0, 100, 1, 2, 3])],
    ['a field of the wrong wire type', Buffer.concat([Buffer.from([0, 0, 0, 0, 2]), Buffer.from([0x0d, 0x01])])],
  ] as const) {
    it(`survives a raw HTTP/2 request whose body is ${name}`, async () => {
      const before = JSON.stringify(server.store.list());
      const session = http2.connect(`http://${server.address}`);
      try {
        const request = session.request({
          ':method': 'POST',
          ':path': '/taskmanager.TaskManager/CreateTask',
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => {
          request.on('trailers', resolve);
          request.on('response', (headers) => headers['grpc-status'] !== undefined && resolve(headers)); // trailers-only answer
        });
        request.on('error', () => {});
        request.resume();
        request.end(body);
        const status = await withTimeout(trailers, 3000, 'the server to answer the raw request');
        assert.notEqual(status['grpc-status'], '0', `a gRPC error status, got ${JSON.stringify(status)}`);
      } finally {
        session.destroy();
      }
      assert.equal(JSON.stringify(server.store.list()), before);
      assert.equal((await callUnary(server.client, 'GetTask', { id: existing.id })).task!.id, existing.id, 'still serving');
    });
  }

  it('refuses a 5 MB request with RESOURCE_EXHAUSTED and keeps serving', async () => {
    const result = await outcome(callUnary(server.client, 'CreateTask', { title: 'big', description: long(5 * 1024 * 1024) }));
    assert.equal(result.code, 'RESOURCE_EXHAUSTED');
    assert.equal((await callUnary(server.client, 'GetTask', { id: existing.id })).task!.id, existing.id);
  });
});

describe('handlers that throw', () => {
  let server: TestServer;
  before(async () => {
    mock.method(console, 'error', () => {}); // the guard logs the error; keep the test output clean
    server = await startTestServer({
      createHandlers: (store: TaskStore) => ({
        ...createTaskManagerHandlers(store),
        async GetTask() {
          await Promise.resolve();
          throw new Error('boom after an await');
        },
        DeleteTask() {
          throw new Error('boom at once');
        },
        CreateTask(call, callback) {
          const task = store.create({ title: call.request.title, description: '', tags: [] });
          callback(null, { task });
          throw new Error('boom after the answer');
        },
        async ListTasks(_call, callback) {
          callback(null, { tasks: store.list() });
          await Promise.resolve();
          throw new Error('boom after the answer, after an await');
        },
        UpdateTask(call, callback) {
          callback(null, { task: store.get(call.request.id) });
          callback({ code: grpc.status.INTERNAL, details: 'a second answer' });
        },
      }),
    });
  });
  after(async () => {
    await server.close();
    mock.restoreAll();
  });

  it('a handler that throws before it answered answers INTERNAL (async or not), and the process lives on', async () => {
    const result = await outcome(callUnary(server.client, 'GetTask', { id: 'x' }));
    assert.deepEqual(result, { code: 'INTERNAL', details: 'GetTask failed inside the server (the server log has the error)' });
    const sync = await outcome(callUnary(server.client, 'DeleteTask', { id: 'x' }));
    assert.equal(sync.code, 'INTERNAL');
  });

  it('a handler that throws after it answered keeps its answer: the client gets OK, the error is only logged', async () => {
    const { task } = await callUnary(server.client, 'CreateTask', { title: 'answered, then threw' });
    assert.equal(task!.title, 'answered, then threw');
    assert.equal(server.store.get(task!.id)?.title, 'answered, then threw', 'stored, and the client was told so');
    const { tasks } = await callUnary(server.client, 'ListTasks', {});
    assert.ok(tasks.some((listed) => listed.id === task!.id));
    const errors = (console.error as unknown as { mock: { calls: Array<{ arguments: unknown[] }> } }).mock.calls.map((call) =>
      String(call.arguments[0]),
    );
    assert.ok(
      errors.some((line) => /CreateTask failed after it had answered \(the answer stands\)/.test(line)),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((line) => /ListTasks failed after it had answered/.test(line)),
      errors.join('\n'),
    );
  });

  it('the first answer stands: a second one (here an error after OK, which grpc-js alone would send) is ignored and logged', async () => {
    const { task } = await callUnary(server.client, 'CreateTask', { title: 'answered twice' });
    const { task: same } = await callUnary(server.client, 'UpdateTask', { id: task!.id });
    assert.equal(same!.id, task!.id);
    const calls = (console.error as unknown as { mock: { calls: Array<{ arguments: unknown[] }> } }).mock.calls;
    const errors = calls.map((call) => String(call.arguments[0]));
    assert.ok(
      errors.some((line) => /UpdateTask answered twice: the first answer stands/.test(line)),
      errors.join('\n'),
    );
  });
});

describe('watchers that leave', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('1,000 connect-then-cancel cycles (cancelled before any event, or mid-stream) leave no subscriber', async () => {
    const BATCH = 50;
    for (let batch = 0; batch < 1000 / BATCH; batch++) {
      const watchers = Array.from({ length: BATCH }, () => watch(server.client));
      await waitUntil(() => server.store.subscriberCount === BATCH, 5000, `batch ${batch} to subscribe`);
      const early = watchers.filter((_, i) => i % 2 === 0);
      for (const watcher of early) watcher.stream.cancel(); // subscribed, no event yet
      await waitUntil(() => server.store.subscriberCount === BATCH - early.length, 5000, 'the early leavers to be forgotten');
      server.store.create({ title: `batch ${batch}`, description: '', tags: [] });
      const late = watchers.filter((_, i) => i % 2 === 1);
      await Promise.all(late.map((watcher) => watcher.next(1, 5000)));
      for (const watcher of late) watcher.stream.cancel(); // mid-stream
      await waitUntil(() => server.store.subscriberCount === 0, 5000, `batch ${batch} to be forgotten`);
    }
    assert.equal(server.store.subscriberCount, 0);
  });

  it('a call the client cancels before it is under way leaves a ghost that the bounded queue cuts off', async () => {
    // grpc-js (1.14) quirk: cancel() right after WatchTasks({}) can leave the
    // server's side open with no 'cancelled' event ever. The ghost's client
    // never reads, so its queue fills and the server cuts it off.
    await new Promise((resolve) => server.client.waitForReady(deadlineAfter(2000), resolve));
    const ghost = server.client.WatchTasks({});
    ghost.on('error', () => {});
    ghost.cancel();
    // Seen 40 times out of 40 here. If this wait fails, grpc-js has fixed the quirk:
    // the ghost never appears, and this test can go.
    await waitUntil(() => server.store.subscriberCount === 1, 2000, 'the ghost subscription grpc-js leaves behind');
    let events = 0;
    while (server.store.subscriberCount > 0) {
      assert.ok(events < MAX_QUEUED_EVENTS + 500, `the ghost is cut off within ${MAX_QUEUED_EVENTS} + 500 events`);
      server.store.create({ title: `to a ghost ${events}`, description: '', tags: [] });
      events += 1;
      if (events % 50 === 0) await new Promise((resolve) => setImmediate(resolve)); // let the writes flow
    }
  });

  it('a client process killed mid-stream is forgotten (5 kills)', { skip: process.platform === 'win32' }, async () => {
    for (let i = 0; i < 5; i++) {
      const client = spawnTs(path.join(REPO_ROOT, 'test/fixtures/processes/watch-forever.ts'), [server.address]);
      children.push(client);
      await waitUntil(() => server.store.subscriberCount === 1, 10_000, 'the client process to subscribe');
      client.child.kill('SIGKILL');
      await waitUntil(() => server.store.subscriberCount === 0, 5000, 'the killed client to be forgotten');
    }
  });

  it('unsubscribing twice is harmless (cancelled also fires after a normal end)', () => {
    const counts: number[] = [];
    server.store.onSubscriberCountChange = (count) => counts.push(count);
    const unsubscribe = server.store.subscribe(() => {});
    unsubscribe();
    unsubscribe();
    server.store.onSubscriberCountChange = undefined;
    assert.deepEqual(counts, [1, 0]);
  });
});

describe('slow consumers', () => {
  it(`one stalled watcher among ten healthy ones through 10,000 events: cut off after ${MAX_QUEUED_EVENTS} queued, the others get everything in order`, async (t) => {
    const server = await startTestServer();
    try {
      const healthy = Array.from({ length: 10 }, () => watch(server.client));
      const stalled = watch(server.client);
      stalled.stream.pause(); // stops reading: flow control fills up, then the server's queue
      await waitUntil(() => server.store.subscriberCount === 11, 5000, 'eleven watchers to subscribe');

      const ids: string[] = [];
      let peakRss = process.memoryUsage().rss;
      for (let produced = 0; produced < 10_000; produced += 100) {
        for (let i = 0; i < 100; i++) ids.push(server.store.create({ title: `event ${produced + i}`, description: '', tags: [] }).id);
        // Produce at the pace of the healthy readers, as RPCs from clients would.
        await Promise.all(healthy.map((watcher) => watcher.next(produced + 100 - 500, 10_000)));
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
      await Promise.all(healthy.map((watcher) => watcher.next(10_000, 20_000)));
      for (const watcher of healthy) {
        assert.deepEqual(
          watcher.events.map((event) => event.task!.id),
          ids,
          'every event, in order',
        );
      }
      assert.equal(server.store.subscriberCount, 10, 'the stalled watcher was unsubscribed');

      stalled.stream.resume();
      const status = await withTimeout(
        new Promise<grpc.StatusObject>((resolve) => stalled.stream.on('status', resolve)),
        10_000,
        'the stalled stream to end',
      );
      assert.equal(grpc.status[status.code], 'RESOURCE_EXHAUSTED');
      assert.match(status.details, /fell 1000 events behind/);
      assert.ok(stalled.events.length < 10_000, `the stalled watcher did not get everything (${stalled.events.length})`);
      t.diagnostic(`peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB; the stalled watcher had received ${stalled.events.length} events`);
      assert.ok(peakRss < 512 * 1024 * 1024, `peak RSS ${peakRss} stays bounded`);
      for (const watcher of healthy) watcher.stream.cancel();
    } finally {
      await server.close();
    }
  });
});

describe('deadlines', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      createHandlers: (store) => ({ ...createTaskManagerHandlers(store), GetTask() {} }), // never answers
    });
  });
  after(() => server.close());

  it('a unary call to a handler that never answers ends with DEADLINE_EXCEEDED at the deadline', async () => {
    const started = Date.now();
    const result = await outcome(callUnary(server.client, 'GetTask', { id: 'x' }, { deadline: deadlineAfter(200) }));
    assert.equal(result.code, 'DEADLINE_EXCEEDED');
    assert.ok(Date.now() - started < 2000);
  });

  it('a watch whose deadline passes is unsubscribed on the server', async () => {
    const stream = server.client.WatchTasks({}, { deadline: deadlineAfter(100) });
    stream.on('data', () => {});
    const status = await withTimeout(
      new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve).on('error', () => {})),
      3000,
      'the deadline',
    );
    assert.equal(grpc.status[status.code], 'DEADLINE_EXCEEDED');
    await waitUntil(() => server.store.subscriberCount === 0, 2000, 'the server to forget the expired watch');
  });
});

describe('graceful shutdown', { skip: process.platform === 'win32' }, () => {
  it('SIGTERM with three watchers open: their streams end OK and the process exits 0 within 2 s', async (t) => {
    const server = await startServerProcess(path.join(REPO_ROOT, 'solutions/server.ts'));
    children.push(server);
    const client = (await import('../lib/client-runtime.ts')).createTaskManagerClient(server.address);
    const statuses = Array.from({ length: 3 }, () => {
      const stream = client.WatchTasks({});
      return new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve).on('error', () => {}));
    });
    await callUnary(client, 'ListTasks', {}); // the watches are registered once this round trip is back
    const started = Date.now();
    server.child.kill('SIGTERM');
    assert.equal(await withTimeout(server.exited, 2000, 'the server to exit'), 0);
    const elapsed = Date.now() - started;
    for (const status of await Promise.all(statuses)) assert.equal(grpc.status[status.code], 'OK');
    t.diagnostic(`shutdown with 3 open watchers took ${elapsed} ms`);
    client.close();
  });

  it('a stream that never ends is cut after the grace period; a second signal stops at once', async () => {
    // This fixture's WatchTasks ignores the store closing, so tryShutdown would wait for ever.
    const fixture = WRONG_PROGRAMS.find((candidate) => candidate.name === 'watch-no-end-at-shutdown')!;
    // Built under a name of its own: the fixture tests, running meanwhile, rebuild theirs.
    const file = path.join(buildImplementation({ ...fixture, name: `reliability-${fixture.name}` }), 'server.ts');
    const { createTaskManagerClient } = await import('../lib/client-runtime.ts');
    for (const signals of [1, 2]) {
      const server = await startServerProcess(file);
      children.push(server);
      const client = createTaskManagerClient(server.address);
      const stream = client.WatchTasks({});
      stream.on('error', () => {});
      await callUnary(client, 'ListTasks', {});
      const started = Date.now();
      server.child.kill('SIGTERM');
      if (signals === 2) {
        await server.waitForLine(/SIGTERM received: shutting down/, 2000);
        server.child.kill('SIGTERM');
      }
      const code = await withTimeout(server.exited, 3000, 'the server to exit');
      const elapsed = Date.now() - started;
      if (signals === 1) {
        assert.equal(code, 0);
        assert.ok(elapsed < 2000, `exited after the grace period, in ${elapsed} ms`);
      } else {
        assert.equal(code, 1, 'a second signal forces the exit');
        assert.ok(elapsed < 1000, `forced at once, in ${elapsed} ms`);
      }
      client.close();
    }
  });
});

describe('concurrency', () => {
  it('200 concurrent mixed calls from several clients: unique ids, no lost update, consistent events', async () => {
    const server = await startTestServer();
    const { createTaskManagerClient } = await import('../lib/client-runtime.ts');
    const clients = [server.client, createTaskManagerClient(server.address), createTaskManagerClient(server.address)];
    try {
      const watchers = [watch(clients[1]!), watch(clients[2]!)];
      await waitUntil(() => server.store.subscriberCount === 2, 2000, 'two watchers');
      const created = await Promise.all(
        Array.from({ length: 50 }, (_, i) => callUnary(clients[i % 3]!, 'CreateTask', { title: `task ${i}` })),
      );
      const ids = created.map(({ task }) => task!.id);
      assert.equal(new Set(ids).size, 50, 'unique ids');

      const results = await Promise.all(
        Array.from({ length: 150 }, (_, i) => {
          const id = ids[i % 50]!;
          const client = clients[i % 3]!;
          return i >= 140
            ? outcome(callUnary(client, 'DeleteTask', { id })).then((result) => ({ kind: 'delete' as const, id, result }))
            : callUnary(client, 'UpdateTask', { id, title: `update ${i}` }).then(
                ({ task }) => ({ kind: 'update' as const, id, task: task! }),
                (error: grpc.ServiceError) => ({ kind: 'update-failed' as const, id, code: error.code }),
              );
        }),
      );
      // No lost update: each surviving task holds the update with the latest updated_at.
      for (const id of ids) {
        const updates = results.flatMap((r) => (r.kind === 'update' && r.id === id ? [r.task] : []));
        const stored = server.store.get(id);
        if (!stored) continue; // deleted
        const latest = updates.reduce((a, b) => (a.updated_at > b.updated_at ? a : b));
        assert.equal(stored.title, latest.title, `task ${id} kept its last update`);
      }
      const total =
        50 +
        results.filter((r) => r.kind === 'update').length +
        results.filter((r) => r.kind === 'delete' && r.result.code === 'OK').length;
      await Promise.all(watchers.map((watcher) => watcher.next(total, 5000)));
      for (const watcher of watchers) {
        const perTask = new Map<string, string[]>();
        for (const event of watcher.events) perTask.set(event.task!.id, [...(perTask.get(event.task!.id) ?? []), String(event.event_type)]);
        for (const [id, types] of perTask) {
          assert.equal(types[0], 'TASK_EVENT_TYPE_CREATED', `${id} starts with CREATED`);
          const deleted = types.indexOf('TASK_EVENT_TYPE_DELETED');
          assert.ok(deleted === -1 || deleted === types.length - 1, `${id}: DELETED comes last`);
        }
      }
      assert.deepEqual(
        watchers[0]!.events.map((e: TaskEvent) => `${e.event_type} ${e.task!.id} ${e.task!.updated_at}`),
        watchers[1]!.events.map((e: TaskEvent) => `${e.event_type} ${e.task!.id} ${e.task!.updated_at}`),
        'both watchers saw the same sequence',
      );
      for (const watcher of watchers) watcher.stream.cancel();
    } finally {
      clients[1]!.close();
      clients[2]!.close();
      await server.close();
    }
  });
});
