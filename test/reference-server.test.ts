// The reference server end to end over a real channel: every RPC, every error code, events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { callUnary, isServiceError } from '../lib/client-runtime.ts';
import { startTestServer, type TestServer, waitUntil, watch } from './helpers.ts';

async function expectStatus(promise: Promise<unknown>, code: grpc.status, detailsPattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isServiceError(error), `expected a gRPC error, got ${String(error)}`);
    assert.equal(grpc.status[error.code], grpc.status[code]);
    assert.match(error.details, detailsPattern);
    return true;
  });
}

describe('reference server', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('CreateTask stores a TODO task with an id, timestamps and the given fields', async () => {
    const before = Date.now();
    const { task } = await callUnary(server.client, 'CreateTask', { title: '  Learn gRPC ', description: 'd', tags: ['a', 'b'] });
    assert.ok(task);
    assert.match(task.id, /\S/);
    assert.equal(task.title, 'Learn gRPC');
    assert.equal(task.description, 'd');
    assert.deepEqual(task.tags, ['a', 'b']);
    assert.equal(task.status, 'TASK_STATUS_TODO');
    assert.equal(task.created_at, task.updated_at);
    assert.match(task.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Date.parse(task.created_at) >= before - 1);
    assert.deepEqual(server.store.get(task.id), task);
  });

  it('CreateTask rejects a blank title with INVALID_ARGUMENT naming the field, storing nothing', async () => {
    const count = server.store.size;
    for (const title of ['', '   ', '\t\n']) {
      await expectStatus(callUnary(server.client, 'CreateTask', { title }), grpc.status.INVALID_ARGUMENT, /^title: /);
    }
    assert.equal(server.store.size, count);
  });

  it('GetTask returns a stored task and NOT_FOUND with the id for a missing one', async () => {
    const { task } = await callUnary(server.client, 'CreateTask', { title: 'get me' });
    const { task: fetched } = await callUnary(server.client, 'GetTask', { id: task!.id });
    assert.deepEqual(fetched, task);
    await expectStatus(callUnary(server.client, 'GetTask', { id: 'missing-42' }), grpc.status.NOT_FOUND, /missing-42/);
  });

  it('UpdateTask changes only the fields given and moves updated_at', async () => {
    const { task } = await callUnary(server.client, 'CreateTask', { title: 'old', description: 'keep me', tags: ['t'] });
    const { task: renamed } = await callUnary(server.client, 'UpdateTask', { id: task!.id, title: 'new' });
    assert.equal(renamed!.title, 'new');
    assert.equal(renamed!.description, 'keep me');
    assert.equal(renamed!.status, 'TASK_STATUS_TODO');
    assert.deepEqual(renamed!.tags, ['t']);
    assert.equal(renamed!.created_at, task!.created_at);
    assert.ok(renamed!.updated_at > task!.updated_at, 'updated_at moved forward');

    const { task: started } = await callUnary(server.client, 'UpdateTask', { id: task!.id, status: 'TASK_STATUS_IN_PROGRESS' });
    assert.equal(started!.title, 'new');
    assert.equal(started!.status, 'TASK_STATUS_IN_PROGRESS');

    const { task: cleared } = await callUnary(server.client, 'UpdateTask', { id: task!.id, description: '' });
    assert.equal(cleared!.description, '', 'an explicitly empty description is a change');
    assert.equal(cleared!.title, 'new');
  });

  it('UpdateTask rejects a blank title, an unknown status and an unknown id', async () => {
    const { task } = await callUnary(server.client, 'CreateTask', { title: 'stay' });
    const id = task!.id;
    await expectStatus(callUnary(server.client, 'UpdateTask', { id, title: ' ' }), grpc.status.INVALID_ARGUMENT, /^title: /);
    await expectStatus(
      callUnary(server.client, 'UpdateTask', { id, status: 99 as unknown as 'TASK_STATUS_DONE' }),
      grpc.status.INVALID_ARGUMENT,
      /^status: /,
    );
    assert.equal(server.store.get(id)!.title, 'stay', 'a rejected update changes nothing');
    assert.equal(server.store.get(id)!.updated_at, task!.updated_at);
    await expectStatus(callUnary(server.client, 'UpdateTask', { id: 'nope', title: 'x' }), grpc.status.NOT_FOUND, /nope/);
  });

  it('DeleteTask returns the deleted task; later Get and Delete answer NOT_FOUND', async () => {
    const { task } = await callUnary(server.client, 'CreateTask', { title: 'bye' });
    const { task: deleted } = await callUnary(server.client, 'DeleteTask', { id: task!.id });
    assert.deepEqual(deleted, task);
    await expectStatus(callUnary(server.client, 'GetTask', { id: task!.id }), grpc.status.NOT_FOUND, new RegExp(task!.id));
    await expectStatus(callUnary(server.client, 'DeleteTask', { id: task!.id }), grpc.status.NOT_FOUND, new RegExp(task!.id));
  });

  it('ListTasks lists all tasks, or filters by status or tag (the oneof)', async () => {
    const fresh = await startTestServer();
    try {
      const make = async (title: string, tags: string[]) => (await callUnary(fresh.client, 'CreateTask', { title, tags })).task!;
      const a = await make('a', ['x']);
      const b = await make('b', ['x', 'y']);
      const c = await make('c', []);
      await callUnary(fresh.client, 'UpdateTask', { id: b.id, status: 'TASK_STATUS_DONE' });
      const ids = async (request: object) => (await callUnary(fresh.client, 'ListTasks', request)).tasks.map((task) => task.id);
      assert.deepEqual(await ids({}), [a.id, b.id, c.id]);
      assert.deepEqual(await ids({ status: 'TASK_STATUS_DONE' }), [b.id]);
      assert.deepEqual(await ids({ status: 'TASK_STATUS_TODO' }), [a.id, c.id]);
      assert.deepEqual(await ids({ tag: 'x' }), [a.id, b.id]);
      assert.deepEqual(await ids({ tag: 'y' }), [b.id]);
      assert.deepEqual(await ids({ tag: 'none' }), []);
    } finally {
      await fresh.close();
    }
  });

  it('ids stay unique under 100 concurrent creates', async () => {
    const tasks = await Promise.all(Array.from({ length: 100 }, (_, i) => callUnary(server.client, 'CreateTask', { title: `t${i}` })));
    assert.equal(new Set(tasks.map(({ task }) => task!.id)).size, 100);
  });

  it('WatchTasks streams CREATED, UPDATED and DELETED in order to every watcher', async () => {
    const first = watch(server.client);
    const second = watch(server.client);
    await waitUntil(() => server.store.subscriberCount === 2, 2000, 'two watchers to subscribe');
    const { task } = await callUnary(server.client, 'CreateTask', { title: 'watched' });
    await callUnary(server.client, 'UpdateTask', { id: task!.id, status: 'TASK_STATUS_DONE' });
    await callUnary(server.client, 'DeleteTask', { id: task!.id });
    for (const watcher of [first, second]) {
      await watcher.next(3);
      assert.deepEqual(
        watcher.events.map((event) => [event.event_type, event.task?.id, event.task?.status]),
        [
          ['TASK_EVENT_TYPE_CREATED', task!.id, 'TASK_STATUS_TODO'],
          ['TASK_EVENT_TYPE_UPDATED', task!.id, 'TASK_STATUS_DONE'],
          ['TASK_EVENT_TYPE_DELETED', task!.id, 'TASK_STATUS_DONE'],
        ],
      );
      watcher.stream.cancel();
    }
    await waitUntil(() => server.store.subscriberCount === 0, 2000, 'cancelled watchers to be forgotten');
  });

  it('a cancelled watcher is forgotten and the others keep receiving', async () => {
    const leaving = watch(server.client);
    const staying = watch(server.client);
    await waitUntil(() => server.store.subscriberCount === 2, 2000, 'two watchers to subscribe');
    leaving.stream.cancel();
    await waitUntil(() => server.store.subscriberCount === 1, 2000, 'the cancelled watcher to be forgotten');
    await callUnary(server.client, 'CreateTask', { title: 'after the cancel' });
    await staying.next(1);
    assert.equal(staying.events[0]!.task!.title, 'after the cancel');
    assert.equal(leaving.events.length, 0);
    assert.equal(grpc.status[leaving.failure!.code], 'CANCELLED');
    staying.stream.cancel();
    await waitUntil(() => server.store.subscriberCount === 0, 2000, 'the last watcher to be forgotten');
  });

  it('shutdown ends open watch streams with OK', async () => {
    const own = await startTestServer();
    const watcher = watch(own.client);
    await waitUntil(() => own.store.subscriberCount === 1, 2000, 'the watcher to subscribe');
    const ended = new Promise<grpc.StatusObject>((resolve) => watcher.stream.on('status', resolve));
    await own.shutdown();
    const status = await ended;
    assert.equal(grpc.status[status.code], 'OK');
    own.client.close();
  });
});
