// The reference client pieces and the demo, against the reference server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { MISSING_TASK_ID, runDemo } from '../lib/client-demo.ts';
import { callUnary, type TaskEvent } from '../lib/client-runtime.ts';
import { fetchTask, watchTasks } from '../solutions/client.ts';
import { createTaskManagerHandlers } from '../solutions/server.ts';
import { startTestServer, type TestServer, waitUntil } from './helpers.ts';

describe('reference client', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('fetchTask returns the task, or the code and details of the failure', async () => {
    const { task } = await callUnary(server.client, 'CreateTask', { title: 'fetch me' });
    assert.deepEqual(await fetchTask(server.client, task!.id), { ok: true, task });
    assert.deepEqual(await fetchTask(server.client, 'absent'), {
      ok: false,
      code: grpc.status.NOT_FOUND,
      details: 'no task with id "absent"',
    });
  });

  it('watchTasks hands every event to onEvent, and cancel() stops it quietly', async () => {
    const events: TaskEvent[] = [];
    const stream = watchTasks(server.client, (event) => events.push(event));
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
    const ok = await runDemo(server.client, { watchTasks, fetchTask }, (line) => printed.push(stripVTControlCharacters(line)));
    const text = printed.join('\n');
    assert.equal(ok, true, text);
    for (const rpc of ['WatchTasks', 'CreateTask', 'GetTask', 'UpdateTask', 'ListTasks', 'DeleteTask']) {
      assert.match(text, new RegExp(`→ ${rpc} `), `${rpc} step shown`);
    }
    assert.match(text, new RegExp(`code .*NOT_FOUND.* \\(5\\), details: no task with id "${MISSING_TASK_ID}"`));
    assert.match(text, /event CREATED[\s\S]*event UPDATED[\s\S]*event DELETED/);
    assert.match(text, /watcher received 3 event\(s\)/);
  });

  it('the demo gives up at its deadline on a server that never answers, and says why', async () => {
    const silent = await startTestServer({
      createHandlers: (store) => ({ ...createTaskManagerHandlers(store), CreateTask() {} }),
    });
    const printed: string[] = [];
    try {
      const ok = await runDemo(silent.client, { watchTasks, fetchTask }, (line) => printed.push(stripVTControlCharacters(line)), 300);
      assert.equal(ok, false);
    } finally {
      await silent.close();
    }
    assert.match(printed.join('\n'), /DEADLINE_EXCEEDED[\s\S]*No answer within 0.3 s: does every path of that handler call callback\?/);
  });

  it('the demo reports a server that is not there as a failure, with a hint', async () => {
    const { createTaskManagerClient } = await import('../lib/client-runtime.ts');
    const nowhere = await startTestServer();
    await nowhere.close(); // a port that was just free: nothing listens there now
    const client = createTaskManagerClient(nowhere.address);
    const printed: string[] = [];
    try {
      assert.equal(await runDemo(client, { watchTasks, fetchTask }, (line) => printed.push(stripVTControlCharacters(line))), false);
    } finally {
      client.close();
    }
    assert.match(printed.join('\n'), /UNAVAILABLE[\s\S]*npm run server/);
  });
});
