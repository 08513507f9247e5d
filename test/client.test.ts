// The reference client functions and the demo, against the reference server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { MISSING_TASK_ID, runDemo } from '../lib/client-demo.ts';
import { callUnary, createTaskManagerClient, type TaskEvent } from '../lib/client-runtime.ts';
import * as reference from '../solutions/client.ts';
import { createTaskManagerHandlers } from '../solutions/server.ts';
import { startTestServer, type TestServer, waitUntil } from './helpers.ts';

describe('reference client', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('the five unary functions send their request and resolve with the answer, or reject with the ServiceError', async () => {
    const created = await reference.createTask(server.client, { title: 'from the client', tags: ['c'] });
    assert.equal(server.store.get(created.id)?.title, 'from the client');
    assert.deepEqual(await reference.getTask(server.client, created.id), created);
    const updated = await reference.updateTask(server.client, { id: created.id, status: 'TASK_STATUS_DONE' });
    assert.equal(updated.status, 'TASK_STATUS_DONE');
    assert.deepEqual(
      (await reference.listTasks(server.client, { tag: 'c' })).map((task) => task.id),
      [created.id],
    );
    assert.deepEqual(await reference.deleteTask(server.client, created.id), updated);
    await assert.rejects(reference.getTask(server.client, created.id), (error: grpc.ServiceError) => error.code === grpc.status.NOT_FOUND);
  });

  it('fetchTask returns the task, or the code and details of the failure, and lets bugs through', async () => {
    const { task } = await callUnary(server.client, 'CreateTask', { title: 'fetch me' });
    assert.deepEqual(await reference.fetchTask(server.client, task!.id), { ok: true, task });
    assert.deepEqual(await reference.fetchTask(server.client, 'absent'), {
      ok: false,
      code: grpc.status.NOT_FOUND,
      details: 'no task with id "absent"',
    });
    const broken = {
      GetTask: () => {
        throw new TypeError('a bug');
      },
    } as never;
    await assert.rejects(reference.fetchTask(broken, 'x'), TypeError);
  });

  it('watchTasks hands every event to onEvent, and cancel() stops it quietly', async () => {
    const events: TaskEvent[] = [];
    const stream = reference.watchTasks(server.client, (event) => events.push(event));
    await waitUntil(() => server.store.subscriberCount === 1, 2000, 'the watcher to subscribe');
    const { task } = await callUnary(server.client, 'CreateTask', { title: 'streamed' });
    await callUnary(server.client, 'DeleteTask', { id: task!.id });
    await waitUntil(() => events.length === 2, 2000, 'two events');
    assert.deepEqual(
      events.map((event) => event.event_type),
      ['TASK_EVENT_TYPE_CREATED', 'TASK_EVENT_TYPE_DELETED'],
    );
    stream.cancel();
    await waitUntil(() => server.store.subscriberCount === 0, 2000, 'the watcher to be forgotten');
  });

  it('the demo runs create → get → update → list → delete → missing task, with live events', async () => {
    const printed: string[] = [];
    const ok = await runDemo(server.client, reference, { print: (line) => printed.push(stripVTControlCharacters(line)) });
    const text = printed.join('\n');
    assert.equal(ok, true, text);
    for (const rpc of ['WatchTasks', 'CreateTask', 'GetTask', 'UpdateTask', 'ListTasks', 'DeleteTask']) {
      assert.match(text, new RegExp(`→ ${rpc} `), `${rpc} step shown`);
    }
    assert.match(text, new RegExp(`code .*NOT_FOUND.* \\(5\\), details: no task with id "${MISSING_TASK_ID}"`));
    assert.match(text, /event CREATED[\s\S]*event UPDATED[\s\S]*event DELETED/);
    assert.match(text, /watcher received 3 event\(s\)/);
  });

  it('the demo stops waiting for a server that never answers, and says why', async () => {
    const silent = await startTestServer({
      createHandlers: (store) => ({ ...createTaskManagerHandlers(store), CreateTask() {} }),
    });
    const printed: string[] = [];
    try {
      const ok = await runDemo(silent.client, reference, {
        print: (line) => printed.push(stripVTControlCharacters(line)),
        stepWaitMs: 300,
      });
      assert.equal(ok, false);
    } finally {
      await silent.close();
    }
    assert.match(printed.join('\n'), /no answer within 0.3 s: does every path of that handler answer\? \(this call has no deadline/);
  });

  it('the demo reports a server that is not there as a failure, with a hint', async () => {
    const nowhere = await startTestServer();
    await nowhere.close(); // a port that was just free: nothing listens there now
    const client = createTaskManagerClient(nowhere.address);
    const printed: string[] = [];
    try {
      assert.equal(await runDemo(client, reference, { print: (line) => printed.push(stripVTControlCharacters(line)) }), false);
    } finally {
      client.close();
    }
    assert.match(printed.join('\n'), /UNAVAILABLE[\s\S]*npm run server/);
  });
});
