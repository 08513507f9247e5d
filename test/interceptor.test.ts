// The reference logging interceptor: exactly one parseable line per RPC, whatever its end.
import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { callUnary, deadlineAfter } from '../lib/client-runtime.ts';
import { formatRpcLogLine, parseRpcLogLine, type RpcLogEntry, rpcLogOutput } from '../lib/rpc-log.ts';
import { loggingInterceptor } from '../solutions/interceptors.ts';
import { startTestServer, type TestServer, waitUntil, watch } from './helpers.ts';

const SERVICE = '/taskmanager.TaskManager';

describe('rpc log line format', () => {
  it('parses what it formats', () => {
    const line = formatRpcLogLine({
      method: `${SERVICE}/GetTask`,
      status: grpc.status.NOT_FOUND,
      durationMs: 1.234,
      startedAt: new Date('2026-01-31T09:30:00.000Z'),
    });
    assert.deepEqual(parseRpcLogLine(line), {
      ok: true,
      entry: { method: `${SERVICE}/GetTask`, status: 'NOT_FOUND', durationMs: 1.23, time: '2026-01-31T09:30:00.000Z' },
    });
  });

  it('accepts the fields in any order with other words around them', () => {
    const parsed = parseRpcLogLine(`[grpc] time=2026-01-31T09:30:00Z status=OK duration_ms=7 method=${SERVICE}/ListTasks (fine)`);
    assert.equal(parsed?.ok, true);
  });

  it('ignores lines without method= and explains malformed ones', () => {
    assert.equal(parseRpcLogLine('TaskManager server listening on 127.0.0.1:5000'), undefined);
    const cases: Array<[string, RegExp]> = [
      [`method=${SERVICE}/GetTask duration_ms=1 time=2026-01-31T09:30:00Z`, /no status/],
      [`method=${SERVICE}/GetTask status=5 duration_ms=1 time=2026-01-31T09:30:00Z`, /status code name/],
      [`method=${SERVICE}/GetTask status=OK time=2026-01-31T09:30:00Z`, /duration_ms/],
      [`method=${SERVICE}/GetTask status=OK duration_ms=fast time=2026-01-31T09:30:00Z`, /milliseconds/],
      [`method=${SERVICE}/GetTask status=OK duration_ms=1`, /no time/],
      [`method=${SERVICE}/GetTask status=OK duration_ms=1 time=yesterday`, /ISO-8601/],
      ['method=GetTask status=OK duration_ms=1 time=2026-01-31T09:30:00Z', /full method path/],
    ];
    for (const [line, problem] of cases) {
      const parsed = parseRpcLogLine(line);
      assert.equal(parsed?.ok, false, line);
      assert.match(parsed.ok ? '' : parsed.problem, problem, line);
    }
  });
});

describe('reference logging interceptor', () => {
  let server: TestServer;
  const lines: string[] = [];
  const entries = () =>
    lines
      .map((line) => parseRpcLogLine(line))
      .filter((parsed) => parsed?.ok)
      .map((parsed) => (parsed as { entry: RpcLogEntry }).entry);

  before(async () => {
    mock.method(rpcLogOutput, 'write', (text: string) => lines.push(...text.split('\n').filter(Boolean)));
    server = await startTestServer({ interceptors: [loggingInterceptor] });
  });
  after(async () => {
    await server.close();
    mock.restoreAll();
  });

  it('logs one line per unary call with method, status, duration and start time', async () => {
    lines.length = 0;
    const before = Date.now();
    const { task } = await callUnary(server.client, 'CreateTask', { title: 'logged' });
    await assert.rejects(callUnary(server.client, 'GetTask', { id: 'missing' }));
    await assert.rejects(callUnary(server.client, 'CreateTask', { title: '' }));
    await callUnary(server.client, 'DeleteTask', { id: task!.id });
    await waitUntil(() => entries().length >= 4, 2000, 'four log lines');
    assert.deepEqual(
      entries().map((entry) => [entry.method, entry.status]),
      [
        [`${SERVICE}/CreateTask`, 'OK'],
        [`${SERVICE}/GetTask`, 'NOT_FOUND'],
        [`${SERVICE}/CreateTask`, 'INVALID_ARGUMENT'],
        [`${SERVICE}/DeleteTask`, 'OK'],
      ],
    );
    for (const entry of entries()) {
      assert.ok(Date.parse(entry.time) >= before - 1, 'time is when the call started');
      assert.ok(entry.durationMs >= 0 && entry.durationMs < 2000);
    }
  });

  it('logs a cancelled stream once, as CANCELLED', async () => {
    lines.length = 0;
    const watcher = watch(server.client);
    await waitUntil(() => server.store.subscriberCount === 1, 2000, 'the watcher to subscribe');
    watcher.stream.cancel();
    await waitUntil(() => server.store.subscriberCount === 0, 2000, 'the watcher to be forgotten');
    await waitUntil(() => entries().length >= 1, 2000, 'the WatchTasks log line');
    await callUnary(server.client, 'ListTasks', {}); // anything logged twice would show before this
    await waitUntil(() => entries().length >= 2, 2000, 'the ListTasks log line');
    assert.deepEqual(
      entries().map((entry) => [entry.method, entry.status]),
      [
        [`${SERVICE}/WatchTasks`, 'CANCELLED'],
        [`${SERVICE}/ListTasks`, 'OK'],
      ],
    );
  });

  it('logs a call whose deadline passed once, as DEADLINE_EXCEEDED', async () => {
    lines.length = 0;
    const stream = server.client.WatchTasks({}, { deadline: deadlineAfter(50) });
    const status = await new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve).on('error', () => {}));
    assert.equal(grpc.status[status.code], 'DEADLINE_EXCEEDED');
    await waitUntil(() => entries().length >= 1, 2000, 'the WatchTasks log line');
    await callUnary(server.client, 'ListTasks', {}); // a second line for the stream would show before this one
    await waitUntil(() => entries().length >= 2, 2000, 'the ListTasks log line');
    const [watchEntry, ...rest] = entries();
    assert.equal(watchEntry!.method, `${SERVICE}/WatchTasks`);
    // Whichever fires first, the server's deadline timer or the client's cancel, the deadline has passed.
    assert.equal(watchEntry!.status, 'DEADLINE_EXCEEDED');
    assert.deepEqual(
      rest.map((entry) => entry.method),
      [`${SERVICE}/ListTasks`],
    );
  });

  it('logs a request grpc-js refuses before any handler (over the 1 MiB limit) as UNSEEN, never as a cancel', async () => {
    lines.length = 0;
    await assert.rejects(callUnary(server.client, 'CreateTask', { title: 'x'.repeat(2 * 1024 * 1024) }), (error: grpc.ServiceError) => {
      assert.equal(grpc.status[error.code], 'RESOURCE_EXHAUSTED');
      return true;
    });
    await callUnary(server.client, 'ListTasks', {});
    await waitUntil(() => entries().length >= 2, 2000, 'two log lines');
    assert.deepEqual(
      entries().map((entry) => [entry.method, entry.status]),
      [
        [`${SERVICE}/CreateTask`, 'UNSEEN'],
        [`${SERVICE}/ListTasks`, 'OK'],
      ],
    );
  });
});
