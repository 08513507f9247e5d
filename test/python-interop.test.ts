// A client in another language: interop/python/client.py (Debian's grpcio, stubs from Debian's
// protoc) against the TypeScript reference server. It proves protos/task_manager.proto is the
// whole contract: nothing TypeScript-specific leaks onto the wire.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { callUnary, createTaskManagerClient, type TaskManagerClient } from '../lib/client-runtime.ts';
import { type ChildTsProcess, type ServerProcess, spawnCaptured, startServerProcess } from '../lib/process.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { DIAGNOSTICS_ENV } from '../lib/protocol.ts';
import { withTimeout } from './helpers.ts';

// Debian's tools by absolute path: the `python3` first on PATH may be another interpreter
// (pyenv, Homebrew) that does not see Debian's python3-grpcio.
const PYTHON = '/usr/bin/python3';
const PROTOC = '/usr/bin/protoc';
const GRPC_PYTHON_PLUGIN = '/usr/bin/grpc_python_plugin';
const GENERATE = path.join(REPO_ROOT, 'interop/python/generate.py');
const CLIENT = path.join(REPO_ROOT, 'interop/python/client.py');

/** What is missing to run the Python client, naming the Debian package; undefined if nothing. */
function missingTool(): string | undefined {
  // File checks first: on macOS, running /usr/bin/python3 may offer to install Xcode tools.
  if (!existsSync(PROTOC)) return `${PROTOC} not found (Debian package protobuf-compiler)`;
  if (!existsSync(GRPC_PYTHON_PLUGIN)) return `${GRPC_PYTHON_PLUGIN} not found (Debian package protobuf-compiler-grpc)`;
  if (!existsSync(PYTHON)) return `${PYTHON} not found (Debian package python3)`;
  const probe = spawnSync(PYTHON, ['-c', 'import grpc'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.status !== 0) return `${PYTHON} cannot import grpc (Debian package python3-grpcio)`;
  return undefined;
}

const missing = missingTool();
// CI installs the packages (.ci/run), so there a missing one is a real failure. Elsewhere
// (macOS, Windows, a Linux without them) the suite is skipped and says what it needs.
const skip = missing !== undefined && !process.env.CI ? `${missing}: install it to run this test` : false;

const children: ChildTsProcess[] = [];

/** The Python client as a child process, its output captured line by line (lib/process.ts). */
function runPython(args: string[], stubsDir: string): ChildTsProcess {
  const python = spawnCaptured(PYTHON, args, { env: { ...process.env, PYTHONPATH: stubsDir, PYTHONUNBUFFERED: '1' } });
  children.push(python);
  return python;
}

/** The JSON result lines the client printed, by check name, and its summary line. */
function parseResults(lines: string[]) {
  const parsed = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  const checks = new Map(parsed.filter((entry) => 'check' in entry).map((entry) => [String(entry.check), entry]));
  return { checks, summary: parsed.find((entry) => 'summary' in entry) };
}

describe('a Python client against the TypeScript reference server', { skip }, () => {
  let server: ServerProcess | undefined;
  let client: TaskManagerClient | undefined;
  let stubsDir: string | undefined;

  before(async () => {
    if (missing) throw new Error(`${missing}: CI must install it (see .ci/run)`);
    // The server prints "[diagnostics] subscribers=N", so the test knows when Python's watch is registered.
    server = await startServerProcess(path.join(REPO_ROOT, 'solutions/server.ts'), {
      env: { ...process.env, [DIAGNOSTICS_ENV]: '1' },
    });
    client = createTaskManagerClient(server.address);
    // The stubs are generated fresh from the proto for every run, never committed.
    stubsDir = mkdtempSync(path.join(tmpdir(), 'taskmanager-python-stubs-'));
    await promisify(execFile)(PYTHON, [GENERATE, stubsDir, '--protoc', PROTOC, '--plugin', GRPC_PYTHON_PLUGIN], {
      timeout: 20_000,
    });
  });

  after(async () => {
    await Promise.all(children.map((child) => child.stop(0)));
    client?.close();
    await server?.stop();
    if (stubsDir) rmSync(stubsDir, { recursive: true, force: true });
  });

  it('calls every RPC (the two streaming ways too), gets the promised error codes, and sees the TypeScript side change a task', async () => {
    const title = 'Made in TypeScript, watched from Python';
    // Listen before Python starts: the server's waitForLine only sees lines printed after the call.
    const subscribed = server!.waitForLine(/^\[diagnostics\] subscribers=1$/, 10_000);
    const python = runPython([CLIENT, '--address', server!.address, '--watch-title', title, '--watch-timeout', '10'], stubsDir!);
    const output = () => python.output.join('\n');

    // Change the task only once Python says it is watching AND the server has registered
    // the watcher: otherwise the CREATED event could go out before anyone listens.
    assert.ok(await python.findLine(/^WATCHING$/, 10_000), `the Python client never printed WATCHING:\n${output()}`);
    assert.ok(await subscribed, `the server never registered the Python watcher:\n${output()}`);
    const { task: created } = await callUnary(client!, 'CreateTask', { title, tags: ['from-typescript'] });
    await callUnary(client!, 'UpdateTask', { id: created!.id, status: 'TASK_STATUS_DONE' });
    await callUnary(client!, 'DeleteTask', { id: created!.id });

    assert.equal(await withTimeout(python.exited, 15_000, 'the Python client to finish'), 0, output());
    const { checks, summary } = parseResults(python.output);
    assert.deepEqual(summary, { summary: 'PASSED', passed: 13, failed: 0 }, output());
    for (const [name, result] of checks) assert.equal(result.ok, true, `${name}: ${JSON.stringify(result)}`);

    // A few answers, as Python saw them.
    assert.match(JSON.stringify(checks.get('GetTask missing id -> NOT_FOUND')), /"code":"NOT_FOUND".*no task with id/);
    assert.match(JSON.stringify(checks.get('CreateTask blank title -> INVALID_ARGUMENT')), /"code":"INVALID_ARGUMENT"/);
    // Client streaming and bidirectional streaming, from Python's generators and queues.
    assert.deepEqual(checks.get('ImportTasks stream -> summary')?.detail, {
      created_count: 2,
      rejected: [
        { index: 1, reason: 'title: must not be blank' },
        { index: 2, reason: 'task: must be set' },
      ],
    });
    assert.match(
      JSON.stringify(checks.get('ImportTasks over the limit -> RESOURCE_EXHAUSTED')),
      /"code":"RESOURCE_EXHAUSTED".*at most 1000/,
    );
    const session = checks.get('SyncTasks session, both ways')?.detail as { session: string[] } | undefined;
    assert.deepEqual(session?.session, [
      'event CREATED',
      'result #0 OK',
      'event UPDATED',
      'result #1 OK',
      'event DELETED',
      'result #2 OK',
      'result #3 NOT_FOUND',
    ]);
    const watched = checks.get("WatchTasks sees another client's changes")?.detail as { events: Array<Record<string, unknown>> };
    assert.deepEqual(
      watched.events.map(({ type, id, status, tags }) => ({ type, id, status, tags })),
      [
        { type: 'CREATED', id: created!.id, status: 'TASK_STATUS_TODO', tags: ['from-typescript'] },
        { type: 'UPDATED', id: created!.id, status: 'TASK_STATUS_DONE', tags: ['from-typescript'] },
        { type: 'DELETED', id: created!.id, status: 'TASK_STATUS_DONE', tags: ['from-typescript'] },
      ],
    );
  });

  it('exits non-zero with a clear message when the watched changes never come', async () => {
    const python = runPython(
      [CLIENT, '--address', server!.address, '--watch-title', 'Nobody makes this', '--watch-timeout', '0.5'],
      stubsDir!,
    );
    assert.equal(await withTimeout(python.exited, 15_000, 'the Python client to finish'), 1, python.output.join('\n'));
    const { checks, summary } = parseResults(python.output);
    assert.match(String(checks.get("WatchTasks sees another client's changes")?.error), /saw no events .* within 0.5 s/);
    assert.equal(summary?.summary, 'FAILED');
  });

  it('exits non-zero with a clear message when no server is listening', async () => {
    // A port that was free a moment ago, so nothing listens on it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));

    const python = runPython([CLIENT, '--address', `127.0.0.1:${port}`, '--connect-timeout', '0.5'], stubsDir!);
    assert.equal(await withTimeout(python.exited, 15_000, 'the Python client to finish'), 1, python.output.join('\n'));
    assert.match(python.output.join('\n'), new RegExp(`could not connect to 127\\.0\\.0\\.1:${port} within 0\\.5 s`));
  });
});
