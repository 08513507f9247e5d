// The everyday commands as a learner runs them: real child processes, 127.0.0.1, free ports.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { parseAddress } from '../lib/cli.ts';
import { callUnary, createTaskManagerClient, isServiceError } from '../lib/client-runtime.ts';
import { resolveImplementation } from '../lib/implementation.ts';
import { type ChildTsProcess, type ServerProcess, ServerStartError, spawnTs, startServerProcess } from '../lib/process.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { DIAGNOSTICS_ENV } from '../lib/protocol.ts';
import { buildSkeletons } from './checker-fixtures.ts';
import { runTs, withTimeout } from './helpers.ts';

/** Every process a test starts: stopped at the end, also when the test failed half way. */
const started: ChildTsProcess[] = [];
after(() => Promise.all(started.map((child) => child.stop())));

/** The reference server, and `npm run watch` on it once the server says the watch has subscribed. */
async function startWatching(): Promise<{ server: ServerProcess; watcher: ChildTsProcess }> {
  const server = await startServerProcess(path.join(REPO_ROOT, 'solutions/server.ts'), {
    env: { ...process.env, [DIAGNOSTICS_ENV]: '1' }, // the server says when the watcher has subscribed
  });
  started.push(server);
  const subscribed = server.waitForLine(/^\[diagnostics\] subscribers=1$/, 5000);
  const watcher = spawnTs(path.join(REPO_ROOT, 'scripts/run.ts'), [
    'watch',
    '--impl',
    'solutions',
    '--host',
    '127.0.0.1',
    '--port',
    String(server.port),
  ]);
  started.push(watcher);
  assert.ok(await subscribed, watcher.output.join('\n'));
  return { server, watcher };
}

describe('commands', () => {
  it('npm run solution: reference server + demo, exit 0, showing CRUD, NOT_FOUND, events and log lines', async () => {
    const { code, stdout, stderr } = await runTs('scripts/solution.ts', []).done;
    const output = stdout + stderr;
    assert.equal(code, 0, output);
    assert.match(output, /\[server\] TaskManager server listening on 127\.0\.0\.1:\d+/);
    assert.match(output, /code NOT_FOUND \(5\), details: no task with id "no-such-task"/);
    assert.match(output, /event CREATED[\s\S]*event UPDATED[\s\S]*event DELETED/);
    for (const [rpc, status] of [
      ['CreateTask', 'OK'],
      ['GetTask', 'NOT_FOUND'],
      ['WatchTasks', 'CANCELLED'],
    ]) {
      assert.match(output, new RegExp(`\\[server\\] rpc method=/taskmanager\\.TaskManager/${rpc} status=${status} `));
    }
    assert.match(output, /✔ reference demo finished/);
  });

  it('npm run server runs exercises/ by default; a skeleton answers UNIMPLEMENTED, --impl solutions the reference', async () => {
    assert.equal(resolveImplementation(undefined).dir, path.join(REPO_ROOT, 'exercises'));
    // The pristine skeletons, whatever the learner's exercises/ holds by now.
    const skeletons = buildSkeletons('server-skeletons');
    for (const [impl, expectSuccess] of [
      [skeletons, false],
      ['solutions', true],
    ] as const) {
      const server = await startServerProcess(path.join(REPO_ROOT, 'scripts/run.ts'), {
        args: ['server', '--impl', impl, '--host', '127.0.0.1', '--port', '0'],
      });
      started.push(server);
      const client = createTaskManagerClient(server.address);
      try {
        const result = await callUnary(client, 'CreateTask', { title: 'hello' }).then(
          () => 'OK',
          (error: unknown) => (isServiceError(error) ? grpc.status[error.code] : String(error)),
        );
        assert.equal(result, expectSuccess ? 'OK' : 'UNIMPLEMENTED', impl);
      } finally {
        client.close();
        await server.stop();
      }
    }
  });

  it('npm run watch prints events live and stops cleanly on Ctrl+C', { skip: process.platform === 'win32' }, async () => {
    const { server, watcher } = await startWatching();
    const event = watcher.waitForLine(/event CREATED .* "Seen live"/, 5000);
    const client = createTaskManagerClient(server.address);
    try {
      await callUnary(client, 'CreateTask', { title: 'Seen live' });
      assert.ok(await event, watcher.output.join('\n'));
    } finally {
      client.close();
    }
    watcher.child.kill('SIGINT');
    assert.equal(await withTimeout(watcher.exited, 3000, 'the watcher to exit after Ctrl+C'), 0);
  });

  it('npm run watch says so and exits 1 when its server dies (a failed stream also ends)', async () => {
    const { server, watcher } = await startWatching();
    server.child.kill('SIGKILL'); // no shutdown: the connection drops with no status from the server
    assert.equal(await withTimeout(watcher.exited, 5000, 'the watcher to exit after its server died'), 1);
    const output = watcher.output.join('\n');
    assert.match(output, /the stream failed: UNAVAILABLE/);
    assert.doesNotMatch(output, /the server ended the stream/);
  });

  it('the server honours PORT, and SIGTERM stops it cleanly (exit 0) with a watcher open', {
    skip: process.platform === 'win32',
  }, async () => {
    const server = await startServerProcess(path.join(REPO_ROOT, 'solutions/server.ts'), {
      args: ['--host', '127.0.0.1'],
      env: { ...process.env, PORT: '0' },
    });
    started.push(server);
    const client = createTaskManagerClient(server.address);
    const stream = client.WatchTasks({});
    const streamStatus = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve).on('error', () => {}));
    await callUnary(client, 'ListTasks', {}); // the watch is registered once this round trip is back
    const exit = new Promise<number | null>((resolve) => server.child.on('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    assert.equal(await withTimeout(exit, 3000, 'the server to exit after SIGTERM'), 0);
    assert.equal(grpc.status[(await withTimeout(streamStatus, 3000, 'the watch stream to end')).code], 'OK');
    client.close();
  });

  it('a server that cannot bind explains that the port is in use', async () => {
    const first = await startServerProcess(path.join(REPO_ROOT, 'solutions/server.ts'));
    started.push(first);
    await assert.rejects(
      startServerProcess(path.join(REPO_ROOT, 'solutions/server.ts'), { args: ['--host', '127.0.0.1', '--port', String(first.port)] }),
      (error: unknown) => {
        assert.ok(error instanceof ServerStartError);
        assert.equal(error.reason, 'exited');
        assert.match(error.output.join('\n'), /already in use. An old server may still be running/);
        return true;
      },
    );
    await first.stop();
  });

  it('parses --host/--port, PORT and the default localhost:50051', () => {
    assert.deepEqual(parseAddress([], {}), { host: 'localhost', port: 50051 });
    assert.deepEqual(parseAddress([], { PORT: '6000' }), { host: 'localhost', port: 6000 });
    assert.deepEqual(parseAddress(['--port', '7000', '--host', '0.0.0.0'], { PORT: '6000' }), { host: '0.0.0.0', port: 7000 });
    assert.deepEqual(parseAddress(['--port=0'], {}), { host: 'localhost', port: 0 });
    assert.throws(() => parseAddress(['--port', 'abc'], {}), /--port must be a whole number/);
  });
});
