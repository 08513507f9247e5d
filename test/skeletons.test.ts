// The untouched exercises: they run, answer UNIMPLEMENTED with a pointer to PHASES.md, never hang.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { fetchTask, watchTasks } from '../exercises/client.ts';
import { loggingInterceptor } from '../exercises/interceptors.ts';
import { interceptors, createTaskManagerHandlers as skeletonHandlers } from '../exercises/server.ts';
import { runDemo } from '../lib/client-demo.ts';
import { callUnary, isServiceError, TodoHumanError } from '../lib/client-runtime.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { startTestServer, type TestServer, withTimeout } from './helpers.ts';

const UNARY_CALLS = [
  ['CreateTask', { title: 'x' }, 'Phase 2, step 1'],
  ['GetTask', { id: 'x' }, 'Phase 2, step 2'],
  ['UpdateTask', { id: 'x', title: 'y' }, 'Phase 2, step 3'],
  ['DeleteTask', { id: 'x' }, 'Phase 2, step 4'],
  ['ListTasks', {}, 'Phase 2, step 5'],
] as const;

describe('exercise skeletons', () => {
  let skeleton: TestServer;
  let reference: TestServer;
  before(async () => {
    skeleton = await startTestServer({ createHandlers: skeletonHandlers, interceptors });
    reference = await startTestServer();
  });
  after(async () => {
    await skeleton.close();
    await reference.close();
  });

  it('have the same file names as solutions/', () => {
    const names = (dir: string) => readdirSync(path.join(REPO_ROOT, dir)).sort();
    assert.deepEqual(names('exercises'), names('solutions'));
  });

  it('import grpc as a value, so grpc.status works the moment a learner writes it', () => {
    for (const file of readdirSync(path.join(REPO_ROOT, 'exercises'))) {
      const text = readFileSync(path.join(REPO_ROOT, 'exercises', file), 'utf8');
      if (!text.includes('grpc.')) continue;
      assert.match(text, /^import \* as grpc from '@grpc\/grpc-js';$/m, `${file}: not \`import type\` (erased at run time)`);
    }
  });

  it('mark every piece to write with TODO(human) and its PHASES.md step', () => {
    for (const file of readdirSync(path.join(REPO_ROOT, 'exercises'))) {
      const text = readFileSync(path.join(REPO_ROOT, 'exercises', file), 'utf8');
      const todos = text.match(/TODO\(human\): Phase \d, steps? \d/g) ?? [];
      assert.ok(todos.length > 0, `${file} has TODO(human) markers naming a PHASES.md step`);
    }
  });

  for (const [rpc, request, step] of UNARY_CALLS) {
    it(`${rpc} answers UNIMPLEMENTED naming ${step}`, async () => {
      await assert.rejects(callUnary(skeleton.client, rpc, request as never), (error: unknown) => {
        assert.ok(isServiceError(error));
        assert.equal(grpc.status[error.code], 'UNIMPLEMENTED');
        assert.equal(error.details, `${rpc} is still a TODO(human): see PHASES.md, ${step}`);
        return true;
      });
    });
  }

  it('WatchTasks ends the stream with UNIMPLEMENTED at once (no hang)', async () => {
    const stream = skeleton.client.WatchTasks({});
    const status = await withTimeout(
      new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve).on('error', () => {})),
      2000,
      'the skeleton WatchTasks to end',
    );
    assert.equal(grpc.status[status.code], 'UNIMPLEMENTED');
    assert.match(status.details, /Phase 3, step 1/);
  });

  it('the skeleton interceptor passes calls through unchanged', async () => {
    const passThrough = await startTestServer({ interceptors: [loggingInterceptor] });
    try {
      const { task } = await callUnary(passThrough.client, 'CreateTask', { title: 'through' });
      assert.equal(task!.title, 'through');
    } finally {
      await passThrough.close();
    }
  });

  it('the client functions say they are TODO(human), and the demo still runs and says so', async () => {
    assert.throws(() => watchTasks(reference.client, () => {}), TodoHumanError);
    await assert.rejects(fetchTask(reference.client, 'x'), /fetchTask\(\) is still a TODO\(human\): see PHASES.md, Phase 4, step 4/);
    const printed: string[] = [];
    const ok = await runDemo(reference.client, { watchTasks, fetchTask }, (line) => printed.push(stripVTControlCharacters(line)));
    const text = printed.join('\n');
    assert.equal(ok, true, text);
    assert.match(text, /watchTasks\(\) is still a TODO\(human\): see PHASES.md, Phase 3, step 2/);
    assert.match(text, /fetchTask\(\) is still a TODO\(human\): see PHASES.md, Phase 4, step 4/);
  });
});
