// The skeletons as a learner first gets them (checker/pristine/, the copies
// `npm run reset` restores; exercises/ is the learner's working copy and may be
// half done): they run, answer UNIMPLEMENTED with a pointer to PHASES.md, never hang.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { type ClientFunctions, runDemo } from '../lib/client-demo.ts';
import { callUnary, isServiceError, TodoHumanError } from '../lib/client-runtime.ts';
import { REPO_ROOT, type TaskManagerHandlers } from '../lib/proto.ts';
import type { TaskStore } from '../lib/store.ts';
import { buildSkeletons } from './checker-fixtures.ts';
import { startTestServer, type TestServer, withTimeout } from './helpers.ts';

const UNARY_CALLS = [
  ['CreateTask', { title: 'x' }, 'Phase 2, step 1'],
  ['GetTask', { id: 'x' }, 'Phase 2, step 2'],
  ['UpdateTask', { id: 'x', title: 'y' }, 'Phase 2, step 3'],
  ['DeleteTask', { id: 'x' }, 'Phase 2, step 4'],
  ['ListTasks', {}, 'Phase 2, step 5'],
] as const;

const PRISTINE_DIR = path.join(REPO_ROOT, 'checker/pristine');
const pristineText = (file: string) => readFileSync(path.join(PRISTINE_DIR, `${file}.txt`), 'utf8');
const pristineNames = () => readdirSync(PRISTINE_DIR).map((name) => name.replace(/\.txt$/, ''));

describe('exercise skeletons (pristine)', () => {
  const dir = buildSkeletons('pristine-skeletons');
  const load = async (file: string) => (await import(pathToFileURL(path.join(dir, file)).href)) as Record<string, unknown>;
  let skeleton: TestServer;
  let reference: TestServer;
  let client: ClientFunctions;
  before(async () => {
    const server = await load('server.ts');
    const { loggingInterceptor } = await load('interceptors.ts');
    client = (await load('client.ts')) as unknown as ClientFunctions;
    skeleton = await startTestServer({
      createHandlers: server.createTaskManagerHandlers as (store: TaskStore) => TaskManagerHandlers,
      interceptors: [...(server.interceptors as grpc.ServerInterceptor[]), loggingInterceptor as grpc.ServerInterceptor],
    });
    reference = await startTestServer();
  });
  after(async () => {
    await skeleton?.close();
    await reference?.close();
  });

  it('have the same file names as solutions/', () => {
    assert.deepEqual(pristineNames().sort(), readdirSync(path.join(REPO_ROOT, 'solutions')).sort());
  });

  it('are what exercises/ holds in the repository (checked when exercises/ has no local changes)', (t) => {
    const changed = execFileSync('git', ['status', '--porcelain', '--', 'exercises'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    if (changed !== '') return t.skip('exercises/ holds your own work: nothing to compare');
    for (const name of pristineNames()) {
      assert.equal(
        readFileSync(path.join(REPO_ROOT, 'exercises', name), 'utf8').replaceAll('\r\n', '\n'),
        pristineText(name).replaceAll('\r\n', '\n'),
        `exercises/${name} differs from checker/pristine/${name}.txt: after changing a skeleton, run node --import tsx/esm scripts/record-pristine.ts`,
      );
    }
  });

  it('import grpc as a value, so grpc.status works the moment a learner writes it', () => {
    for (const name of pristineNames()) {
      const text = pristineText(name);
      if (!text.includes('grpc.')) continue;
      assert.match(text, /^import \* as grpc from '@grpc\/grpc-js';$/m, `${name}: not \`import type\` (erased at run time)`);
    }
  });

  it('mark every piece to write with TODO(human) and its PHASES.md step', () => {
    for (const name of pristineNames()) {
      const todos = pristineText(name).match(/TODO\(human\): Phase \d, steps? \d/g) ?? [];
      assert.ok(todos.length > 0, `${name} has TODO(human) markers naming a PHASES.md step`);
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

  it('the skeleton interceptors pass calls through unchanged (they are installed above)', async () => {
    await assert.rejects(callUnary(skeleton.client, 'GetTask', { id: 'through' }), /UNIMPLEMENTED/);
  });

  it('the client functions say they are TODO(human), and the demo still runs and says so', async () => {
    assert.throws(() => client.watchTasks(reference.client, () => {}), TodoHumanError);
    assert.throws(
      () => client.createTask(reference.client, { title: 'x' }),
      /createTask\(\) is still a TODO\(human\): see PHASES.md, Phase 2, step 6/,
    );
    await assert.rejects(client.fetchTask(reference.client, 'x'), /fetchTask\(\) is still a TODO\(human\): see PHASES.md, Phase 4, step 4/);
    const printed: string[] = [];
    const ok = await runDemo(reference.client, client, { print: (line) => printed.push(stripVTControlCharacters(line)) });
    const text = printed.join('\n');
    assert.equal(ok, true, text);
    assert.match(text, /watchTasks\(\) is still a TODO\(human\): see PHASES.md, Phase 3, step 2/);
    assert.match(text, /createTask\(\) is still a TODO\(human\): see PHASES.md, Phase 2, step 6/);
    assert.match(text, /fetchTask\(\) is still a TODO\(human\): see PHASES.md, Phase 4, step 4/);
  });
});
