// `npm run bench`: each part behaves as it says (the REST twin, the request
// bytes, the load, the slow link, h2load's command and output, the command
// line, the report and the HTML page) and the bench stops everything it
// started. Nothing here is timed or asserts a timing: measuring is the bench's
// job (`npm run bench`); the load runs here are bounded by count, not time.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startBareServer } from '../bench/bare-grpc-server.ts';
import { type CeilingResults, formatCeiling, medianCpuPerCallRatio, medianRatio } from '../bench/ceiling.ts';
import { type LoadJob, runLoadJob, splitLoadJob } from '../bench/closed-loop.ts';
import { findOnPath, h2loadArgs, parseH2loadLog, parseH2loadOutput, startH2load } from '../bench/h2load.ts';
import { renderHtml } from '../bench/html.ts';
import { startOwnLoad } from '../bench/load.ts';
import { limitOf } from '../bench/measure.ts';
import { parseBenchArgs, USAGE, UsageError } from '../bench/options.ts';
import { formatReport } from '../bench/report.ts';
import { grpcFrame, grpcUnframe, REQUESTS, TYPICAL_NEW_TASK, taskCountOfList, taskIdOfAnswer } from '../bench/requests.ts';
import { type RunningRestServer, startRestServer } from '../bench/rest-server.ts';
import { type BenchResults, RESULTS_SCHEMA, type ServerKey, type SlowLinkClient } from '../bench/results.ts';
import { CALLERS, connectionPlan, SERVERS, SLOW_LINK_CALLS, SLOW_LINK_CLIENTS, WATCHER_COUNTS } from '../bench/run.ts';
import { SERVER_FILES } from '../bench/servers.ts';
import { type SlowLink, startSlowLink } from '../bench/slow-link.ts';
import { shortNumber } from '../bench/svg.ts';
import { exchangeOnce } from '../bench/wire.ts';
import { type ChildTsProcess, type ServerProcess, spawnTs, startServerProcess } from '../lib/process.ts';
import { loadTaskManagerProto, type Task, type TaskEvent } from '../lib/proto.ts';
import { DIAGNOSTICS_ENV } from '../lib/protocol.ts';
import { withTimeout } from './helpers.ts';

const BENCH_MAIN = fileURLToPath(new URL('../bench/main.ts', import.meta.url));
const WAIT_MS = 5000;

interface JsonAnswer {
  status: number;
  body: unknown;
}

/** One request without keep-alive (so nothing stays open after the test), answered as parsed JSON. */
function requestJson(port: number, method: string, urlPath: string, body?: unknown): Promise<JsonAnswer> {
  const exchange = new Promise<JsonAnswer>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request(
      { host: '127.0.0.1', port, method, path: urlPath, agent: false, headers: payload ? { 'content-type': 'application/json' } : {} },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
  return withTimeout(exchange, WAIT_MS, `${method} ${urlPath}`);
}

/** Opens GET /tasks/watch and collects the events of its `data:` lines. */
function openEventStream(port: number) {
  const events: TaskEvent[] = [];
  let buffered = '';
  let onChange = () => {};
  const request = http.get({ host: '127.0.0.1', port, path: '/tasks/watch', agent: false });
  const opened = new Promise<http.IncomingMessage>((resolve, reject) => {
    request.on('response', (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffered += chunk;
        const messages = buffered.split('\n\n');
        buffered = messages.pop()!;
        for (const message of messages) {
          const data = message.split('\n').find((line) => line.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice('data: '.length)) as TaskEvent);
        }
        onChange();
      });
      resolve(response);
    });
    request.on('error', reject);
  });
  return {
    events,
    opened: withTimeout(opened, WAIT_MS, 'the event stream to open'),
    /** Resolves once `count` events have arrived. */
    received(count: number) {
      const arrived = new Promise<void>((resolve) => {
        onChange = () => events.length >= count && resolve();
        onChange();
      });
      return withTimeout(arrived, WAIT_MS, `${count} event(s)`);
    },
    close: () => request.destroy(),
  };
}

describe('the REST twin (bench/rest-server.ts)', () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess(SERVER_FILES.rest, { env: { ...process.env, [DIAGNOSTICS_ENV]: '1' } });
  });
  after(() => server?.stop());

  it('creates, gets, answers 404 and 400 like the gRPC service, and streams events over SSE', async () => {
    const stream = openEventStream(server.port);
    const opened = await stream.opened;
    assert.equal(opened.statusCode, 200);
    assert.match(String(opened.headers['content-type']), /^text\/event-stream/);

    const created = await requestJson(server.port, 'POST', '/tasks', { title: '  Write the report ', tags: ['work'] });
    assert.equal(created.status, 201);
    const task = created.body as Task;
    // Field names and enum values as in the proto.
    assert.equal(task.title, 'Write the report');
    assert.equal(task.status, 'TASK_STATUS_TODO');
    assert.deepEqual(task.tags, ['work']);
    assert.ok(task.id && task.created_at && task.updated_at, JSON.stringify(task));

    assert.deepEqual(await requestJson(server.port, 'GET', `/tasks/${task.id}`), { status: 200, body: task });
    assert.deepEqual(await requestJson(server.port, 'GET', '/tasks/no-such-id'), {
      status: 404,
      body: { error: 'no task with id "no-such-id"' },
    });
    assert.deepEqual(await requestJson(server.port, 'POST', '/tasks', { title: '   ' }), {
      status: 400,
      body: { error: 'title: must not be blank' },
    });

    await stream.received(1);
    assert.deepEqual(stream.events[0], { event_type: 'TASK_EVENT_TYPE_CREATED', task });

    // A watcher that leaves is unsubscribed (the server reports its subscriber count).
    const forgotten = server.waitForLine(/^\[diagnostics\] subscribers=0$/, WAIT_MS);
    stream.close();
    assert.ok(await forgotten, 'the closed watcher was never unsubscribed');
  });
});

describe('the request bytes (bench/requests.ts)', () => {
  it('frames a gRPC message as flag 0, a 4-byte big-endian length and the message, and reads it back', () => {
    const frame = grpcFrame(Buffer.from('hello'));
    assert.deepEqual([...frame.subarray(0, 5)], [0, 0, 0, 0, 5]);
    assert.deepEqual(grpcUnframe(frame).map(String), ['hello']);
    assert.deepEqual(grpcUnframe(Buffer.concat([frame, grpcFrame(Buffer.alloc(0))])).length, 2);
    assert.throws(() => grpcUnframe(frame.subarray(0, 7)), /truncated/);
    assert.throws(() => grpcUnframe(Buffer.from([1, 0, 0, 0, 0])), /compressed/);
  });

  it('holds the same operation for both protocols', () => {
    const { CreateTask, ListTasks } = loadTaskManagerProto().taskmanager.TaskManager.service;
    const grpc = REQUESTS.create.grpc();
    assert.equal(grpc.path, '/taskmanager.TaskManager/CreateTask');
    assert.deepEqual(grpc.headers, { 'content-type': 'application/grpc', te: 'trailers' });
    assert.deepEqual(CreateTask.requestDeserialize(grpcUnframe(grpc.body!)[0]!), TYPICAL_NEW_TASK);
    const rest = REQUESTS.create.rest();
    assert.deepEqual([rest.method, rest.path], ['POST', '/tasks']);
    assert.deepEqual(JSON.parse(Buffer.from(rest.body!).toString()), TYPICAL_NEW_TASK);
    assert.equal(ListTasks.requestDeserialize(grpcUnframe(REQUESTS.listByTag.grpc('a b').body!)[0]!).tag, 'a b');
    assert.deepEqual(REQUESTS.listByTag.rest('a b'), {
      protocol: 'rest',
      method: 'GET',
      path: '/tasks?tag=a%20b',
      headers: {},
      body: null,
    });
    assert.equal(REQUESTS.get.rest('x/y').path, '/tasks/x%2Fy');
  });
});

describe('the load (bench/closed-loop.ts, bench/load.ts) against real servers', () => {
  let grpcPort: number;
  let stopGrpc: () => void;
  let rest: RunningRestServer;
  before(async () => {
    const bare = await startBareServer({ host: '127.0.0.1', port: 0 });
    grpcPort = bare.port;
    stopGrpc = () => bare.server.forceShutdown();
    rest = await startRestServer({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    stopGrpc?.();
    await rest?.shutdown();
  });

  const job = (overrides: Partial<LoadJob> & Pick<LoadJob, 'request'>): LoadJob => ({
    host: '127.0.0.1',
    port: overrides.request.protocol === 'grpc' ? grpcPort : rest.port,
    connections: 2,
    streamsPerConnection: 5,
    maxRequests: 40,
    timeoutMs: WAIT_MS,
    ...overrides,
  });

  it('counts OK answers (with a latency each) and names the failures: gRPC status, HTTP status', async () => {
    const created = await runLoadJob(job({ request: REQUESTS.create.grpc() }));
    assert.deepEqual([created.ok, created.errors, created.latencies.length, created.threadBusy.length], [40, {}, 40, 1]);
    const missing = await runLoadJob(job({ request: REQUESTS.get.grpc('no-such-task') }));
    assert.deepEqual([missing.ok, missing.errors], [0, { NOT_FOUND: 40 }]);

    for (const connectionPerRequest of [false, true]) {
      const restCreated = await runLoadJob(job({ request: REQUESTS.create.rest(), connections: 4, connectionPerRequest }));
      assert.deepEqual([restCreated.ok, restCreated.errors], [40, {}]);
    }
    const restMissing = await runLoadJob(job({ request: REQUESTS.get.rest('no-such-task'), maxRequests: 3 }));
    assert.deepEqual([restMissing.ok, restMissing.errors], [0, { 'HTTP 404': 3 }]);
    assert.equal(rest.store.list().length, 80);
  });

  it('reports a server that cannot be reached as errors, without throwing', async () => {
    const closed = await freePort();
    const grpc = await runLoadJob(job({ request: REQUESTS.create.grpc(), port: closed, connections: 1, streamsPerConnection: 3 }));
    assert.deepEqual([grpc.ok, grpc.errors], [0, { ECONNREFUSED: 3 }]);
    const restDown = await runLoadJob(job({ request: REQUESTS.create.rest(), port: closed, maxRequests: 2 }));
    assert.deepEqual([restDown.ok, restDown.errors], [0, { ECONNREFUSED: 2 }]);
  });

  it('reads how many tasks a list answer holds', async () => {
    for (const [protocol, port] of [
      ['grpc', grpcPort],
      ['rest', rest.port],
    ] as const) {
      const list = await exchangeOnce('127.0.0.1', port, REQUESTS.listByTag[protocol]('work'), { timeoutMs: WAIT_MS, keepBody: true });
      if (protocol === 'grpc') {
        assert.deepEqual(list.ok ? [] : [list.error], ['UNIMPLEMENTED'], 'the bare server has no ListTasks');
        continue;
      }
      assert.ok(list.ok, JSON.stringify(list));
      assert.equal(taskCountOfList('rest', list.body!), rest.store.list({ tag: 'work' }).length);
    }
    const { ListTasks } = loadTaskManagerProto().taskmanager.TaskManager.service;
    const sample = grpcFrame(ListTasks.responseSerialize({ tasks: [{ id: 'a' }, { id: 'b' }] }));
    assert.equal(taskCountOfList('grpc', sample), 2);
    assert.equal(taskCountOfList('rest', Buffer.from('not json')), undefined);
  });

  it("checks one call with exactly the load's bytes, and reads the task id of the answer", async () => {
    for (const [request, port] of [
      [REQUESTS.create.grpc(), grpcPort],
      [REQUESTS.create.rest(), rest.port],
    ] as const) {
      const outcome = await exchangeOnce('127.0.0.1', port, request, { timeoutMs: WAIT_MS, keepBody: true });
      assert.ok(outcome.ok, JSON.stringify(outcome));
      assert.match(taskIdOfAnswer(request.protocol, outcome.body!) ?? '', /^[0-9a-f-]{36}$/);
    }
  });

  it('splits a job over load threads and merges their results', { timeout: 30_000 }, async () => {
    const load = await startOwnLoad(2);
    try {
      const run = await load.run(job({ request: REQUESTS.create.grpc(), maxRequests: 30 }));
      assert.deepEqual([run.ok, run.errors, run.latencies.length, run.loadThreads], [30, {}, 30, 2]);
      assert.ok(run.loadCpuMs === null || run.loadCpuMs >= 0);
    } finally {
      await load.close();
    }
  });

  it('deals connections out to threads and shares a request count among them', () => {
    const parts = splitLoadJob(job({ request: REQUESTS.create.rest(), connections: 5, maxRequests: 101 }), 2);
    assert.deepEqual(
      parts.map((part) => [part.connections, part.maxRequests]),
      [
        [3, 60],
        [2, 41],
      ],
    );
    assert.equal(splitLoadJob(job({ request: REQUESTS.create.grpc(), connections: 1 }), 4).length, 1);
    assert.deepEqual(
      splitLoadJob(job({ request: REQUESTS.create.rest(), connections: 10, maxThreads: 1 }), 4).map((part) => part.connections),
      [10],
    );
    assert.deepEqual(connectionPlan('grpc', 100, 2), { connections: 2, streamsPerConnection: 50 });
    assert.deepEqual(connectionPlan('grpc', 10, 3), { connections: 2, streamsPerConnection: 5 });
    assert.deepEqual(connectionPlan('grpc', 1, 4), { connections: 1, streamsPerConnection: 1 });
    assert.deepEqual(connectionPlan('rest', 10, 2), { connections: 10, streamsPerConnection: 1 });
  });

  describe('through the slow link (bench/slow-link.ts)', () => {
    let link: SlowLink;
    before(async () => {
      link = await startSlowLink({ host: '127.0.0.1', port: rest.port }, { rttMs: 2, bandwidthMbitPerSec: 100 });
    });
    after(() => link?.close());

    it('carries HTTP unchanged, counts its bytes, and sees a new connection per request when asked', async () => {
      const reused = await runLoadJob(job({ request: REQUESTS.create.rest(), port: link.port, connections: 2, maxRequests: 10 }));
      assert.deepEqual([reused.ok, reused.errors, link.stats().connections], [10, {}, 2]);
      const { bytesUp, bytesDown } = link.stats();
      assert.ok(bytesUp > 10 * REQUESTS.create.rest().body!.byteLength && bytesDown > bytesUp, JSON.stringify(link.stats()));
      link.resetStats();
      const fresh = await runLoadJob(
        job({ request: REQUESTS.create.rest(), port: link.port, connections: 2, maxRequests: 10, connectionPerRequest: true }),
      );
      assert.deepEqual([fresh.ok, fresh.errors, link.stats().connections], [10, {}, 10]);
    });

    it('passes large data both ways byte for byte, and an end (half-close) after it', async () => {
      const echo = net.createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
      await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
      const echoLink = await startSlowLink(
        { host: '127.0.0.1', port: (echo.address() as net.AddressInfo).port },
        { rttMs: 2, bandwidthMbitPerSec: 1000 },
      );
      try {
        const sent = Buffer.from(Array.from({ length: 300_000 }, (_, index) => (index * 7) % 251));
        const received = await withTimeout(
          new Promise<Buffer>((resolve, reject) => {
            const chunks: Buffer[] = [];
            const socket = net.connect(echoLink.port, '127.0.0.1', () => socket.end(sent));
            socket.on('data', (chunk: Buffer) => chunks.push(chunk));
            socket.on('end', () => resolve(Buffer.concat(chunks)));
            socket.on('error', reject);
          }),
          WAIT_MS,
          'the echo through the slow link',
        );
        assert.ok(received.equals(sent), `received ${received.length} of ${sent.length} bytes, or other bytes`);
        assert.deepEqual(echoLink.stats(), { connections: 1, bytesUp: sent.length, bytesDown: sent.length });
      } finally {
        await echoLink.close();
        await new Promise((resolve) => echo.close(resolve));
      }
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe('h2load (bench/h2load.ts)', () => {
  // Recorded from h2load 1.52 against the bare server.
  const OUTPUT = `finished in 510.70ms, 2030.00 req/s, 474.37KB/s
requests: 1015 total, 1025 started, 1015 done, 1012 succeeded, 3 failed, 0 errored, 0 timeout
status codes: 1012 2xx, 0 3xx, 3 4xx, 0 5xx
traffic: 237.18KB (242875) total, 5.13KB (5255) headers (space savings 96.28%), 203.20KB (208075) data`;

  it('reads its summary and its per-request log', () => {
    assert.deepEqual(parseH2loadOutput(OUTPUT.split('\n')), {
      elapsedMs: 510.7,
      total: 1015,
      succeeded: 1012,
      failed: 3,
      errored: 0,
      timeout: 0,
      statusClasses: { '2xx': 1012, '3xx': 0, '4xx': 3, '5xx': 0 },
    });
    assert.equal(parseH2loadOutput(['h2load: something went wrong']), undefined);
    assert.deepEqual([...parseH2loadLog('1795564582091728\t200\t414027\n1795564582091729\t415\t120\n1\t201\t1500\n')], [414.027, 1.5]);
  });

  it('builds the command: gRPC streams on HTTP/2 connections, REST on HTTP/1.1 one request at a time', () => {
    const base = { host: '127.0.0.1', port: 4000, connections: 10, streamsPerConnection: 10, timeoutMs: 1000 };
    assert.deepEqual(h2loadArgs({ ...base, request: REQUESTS.create.grpc(), maxRequests: 20_000 }, { bodyFile: 'body.bin' }), [
      '-n',
      '20000',
      '-c',
      '10',
      '-m',
      '10',
      '-d',
      'body.bin',
      '-H',
      'content-type: application/grpc',
      '-H',
      'te: trailers',
      'http://127.0.0.1:4000/taskmanager.TaskManager/CreateTask',
    ]);
    assert.deepEqual(h2loadArgs({ ...base, request: REQUESTS.get.rest('id'), durationMs: 250 }, { logFile: 'log.tsv' }), [
      '-D',
      '250ms',
      '--h1',
      '-c',
      '10',
      '-m',
      '1',
      '--log-file=log.tsv',
      'http://127.0.0.1:4000/tasks/id',
    ]);
  });

  const h2load = findOnPath('h2load');
  it('drives a real gRPC server when installed', { skip: h2load ? false : 'h2load is not installed (nghttp2-client)' }, async () => {
    const bare = await startBareServer({ host: '127.0.0.1', port: 0 });
    const generator = await startH2load(h2load!);
    try {
      const job = { host: '127.0.0.1', port: bare.port, connections: 2, streamsPerConnection: 5, maxRequests: 200, timeoutMs: WAIT_MS };
      const run = await generator.run({ ...job, request: REQUESTS.create.grpc() });
      assert.deepEqual([run.ok, run.errors, run.latencies.length], [200, {}, 200]);
      assert.match(run.command ?? '', /^h2load -n 200 -c 2 -m 5 -d \S+ -H 'content-type: application\/grpc' -H 'te: trailers' /);
      // A request grpc-js refuses (no content-type) is an HTTP error h2load does see.
      const refused = await generator.run({ ...job, request: { ...REQUESTS.create.grpc(), headers: {} } });
      assert.equal(refused.ok, 0);
      assert.deepEqual(Object.keys(refused.errors), ['HTTP 4xx']);
    } finally {
      await generator.close();
      bare.server.forceShutdown();
    }
  });
});

describe('the command line (bench/options.ts, bench/main.ts)', () => {
  it('reads the options, with defaults', () => {
    const bench = parseBenchArgs(['--quick', '--rtt', '50', '--bandwidth', '2.5', '--load', 'own', '--threads', '3']);
    assert.equal(bench.kind, 'bench');
    if (bench.kind !== 'bench') return;
    assert.deepEqual([bench.quick, bench.slowLink, bench.load, bench.threads], [true, { rttMs: 50, bandwidthMbitPerSec: 2.5 }, 'own', 3]);
    assert.match(bench.outFile, /bench[/\\]results[/\\]latest\.json$/);
    const ceiling = parseBenchArgs(['--ceiling', '--rounds', '3', '--seconds', '0.5']);
    assert.deepEqual(ceiling.kind === 'ceiling' && [ceiling.rounds, ceiling.roundMs, ceiling.load], [3, 500, 'auto']);
    assert.deepEqual(parseBenchArgs(['-h']), { kind: 'help' });
  });

  it('refuses a bad option with one line naming it', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--rtt', 'abc'], /^--rtt must be a number of at least 0, got "abc"$/],
      [['--bandwidth', '0'], /^--bandwidth must be/],
      [['--threads', '1.5'], /^--threads must be a whole number/],
      [['--load', 'wrk'], /^--load must be one of auto, h2load, own, got "wrk"$/],
      [['--rounds', '2'], /^--rounds applies only with --ceiling$/],
      [['--ceiling', '--quick'], /^--quick does not apply with --ceiling$/],
      [['--ceiling', '--seconds', '0'], /^--seconds must be a number of at least 0.1, got "0"$/],
      [['--fast'], /--fast.*see npm run bench -- --help/],
      [['--out', ''], /^--out needs a file name$/],
    ];
    for (const [argv, message] of cases) {
      assert.throws(
        () => parseBenchArgs(argv),
        (error: unknown) => error instanceof UsageError && message.test(error.message),
        argv.join(' '),
      );
    }
  });

  it('exits 2 with one line on stderr for a bad option, and documents --ceiling in --help', { timeout: 20_000 }, async () => {
    const bad = spawnTs(BENCH_MAIN, ['--rtt', 'abc']);
    const good = spawnTs(BENCH_MAIN, ['--help']);
    try {
      assert.equal(await withTimeout(bad.exited, 15_000, 'bench --rtt abc'), 2);
      assert.deepEqual(bad.output, ['bench: --rtt must be a number of at least 0, got "abc"']);
      assert.equal(await withTimeout(good.exited, 15_000, 'bench --help'), 0);
      const help = good.output.join('\n');
      assert.match(help, /--ceiling/);
      assert.match(help, /npm run bench:ceiling/);
      assert.match(help, /--rtt MS/);
    } finally {
      await Promise.all([bad.stop(0), good.stop(0)]);
    }
  });
});

/** Results of the right shape, with made-up figures (and a hostile string, to see it escaped). */
function sampleResults(): BenchResults {
  const latency = { p50: 1.5, p90: 3, p99: 9, mean: 2, max: 20 };
  const cpu = { serverPercent: 95, loadPercent: 40, machinePercent: 150, serverMicrosPerCall: 40, loadMicrosPerCall: 12 };
  const servers: ServerKey[] = SERVERS;
  return {
    schema: RESULTS_SCHEMA,
    mode: 'quick',
    startedAt: '2026-01-31T09:30:00.000Z',
    wallTimeMs: 21_000,
    machine: {
      node: '20.20.2',
      platform: 'linux',
      arch: 'x64',
      cpus: 2,
      cpuModel: 'Test CPU <script>alert(1)</script>',
      loadAverage: { atStart: 0.1, atEnd: 1.2 },
      otherProgramsCpuPercent: 3,
    },
    load: {
      generator: 'h2load',
      description: 'h2load (nghttp2/1.52.0)',
      choice: 'h2load (nghttp2/1.52.0): found at /usr/bin/h2load',
      caveat: 'grpc-status is checked before and after',
      ownLoadThreads: 2,
      checks: servers.map((server) => ({ server, before: 'OK', after: 'OK' })),
    },
    settings: {
      unarySliceMs: 200,
      unarySlicesPerCell: 2,
      warmupMs: 1000,
      callers: CALLERS,
      watcherCounts: WATCHER_COUNTS,
      callTimeoutMs: 5000,
    },
    serverCpuPerCall: servers.flatMap((server) =>
      (['create', 'get'] as const).map((operation) => ({ server, operation, callers: 100, micros: 40 })),
    ),
    unary: servers.flatMap((server) =>
      (['create', 'get'] as const).flatMap((operation) =>
        CALLERS.map((callers) => ({
          server,
          operation,
          callers,
          ...connectionPlan(server === 'rest' ? 'rest' : 'grpc', callers, 2),
          elapsedMs: 400,
          sliceThroughputsPerSec: [10_000, 12_000],
          ok: 4400,
          errors: (server === 'grpc-bare' && callers === 1 ? { UNAVAILABLE: 2 } : {}) as Record<string, number>,
          throughputPerSec: 11_000,
          latencyMs: latency,
          cpu,
          limit: 'server' as const,
        })),
      ),
    ),
    encoding: [1, 100, 1000].map((tasks) => ({
      what: `${tasks} task(s)`,
      tasks,
      protobufBytes: 200 * tasks,
      jsonBytes: 293 * tasks,
      jsonToProtobufRatio: 1.47,
      microsPerMessage: { protobufEncode: 2 * tasks, protobufDecode: 1.5 * tasks, jsonEncode: tasks, jsonDecode: 1.2 * tasks },
    })),
    slowLink: {
      settings: { rttMs: 20, bandwidthMbitPerSec: 10, connectionSetupRoundTrips: 1, createSliceMs: 400, listSliceMs: 700, listTasks: 1000 },
      cells: SLOW_LINK_CALLS.flatMap(({ call, callers }) =>
        SLOW_LINK_CLIENTS.map((client: SlowLinkClient) => ({
          call,
          callers,
          client,
          connectionsOpened: client === 'rest-new-connection' ? 12 : callers,
          ok: 12,
          errors: {},
          throughputPerSec: 40,
          latencyMs: latency,
          bytesPerCall: { up: 160, down: call === 'list' ? 200_000 : 250 },
        })),
      ),
    },
    streaming: WATCHER_COUNTS.flatMap((watchers) =>
      (['grpc-reference', 'rest'] as const).map((server) => ({
        server,
        watchers,
        rounds: 5,
        samples: 5 * watchers,
        lost: 0,
        errors: {},
        latencyMs: latency,
      })),
    ),
  };
}

/** Words that mean something only inside this project's history. */
const HISTORY_WORDS = /\bissue\b|\bitem \d/i;

describe('the report and the HTML page (bench/report.ts, bench/html.ts)', () => {
  it('prints server CPU per call first, then every section, in words a learner can read', () => {
    const report = formatReport(sampleResults()).replace(/\x1b\[[0-9;]*m/g, '');
    const titles = ['Server CPU time per call', 'Unary calls', 'Encoding', 'Slow link', 'Streaming'].map((title) => report.indexOf(title));
    assert.ok(
      titles.every((at, index) => at > 0 && (index === 0 || at > titles[index - 1]!)),
      JSON.stringify(titles),
    );
    assert.match(report, /20 ms of round trip and caps each direction at 10 Mbit\/s/);
    assert.match(report, /REST, new connection per request/);
    assert.match(report, /2 UNAVAILABLE/);
    assert.doesNotMatch(report, HISTORY_WORDS);
    assert.doesNotMatch(USAGE, HISTORY_WORDS);
  });

  it('writes one self-contained page: a chart per figure, the same tables, nothing fetched, text escaped', () => {
    const html = renderHtml(sampleResults());
    assert.match(html, /^<!doctype html>/);
    for (const id of ['cpu', 'unary', 'encoding', 'slow-link', 'streaming']) assert.match(html, new RegExp(`<section id="${id}">`));
    // Server CPU 1, unary 2 × 2, encoding 1 + 3, slow link 3, streaming 1.
    assert.equal(html.match(/<svg /g)?.length, 13);
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|\bsrc=|\bhref=|@import|url\(/i);
    assert.match(html, /Test CPU &#60;script&#62;alert\(1\)&#60;\/script&#62;/);
    assert.match(html, /<td class="num">11,000<\/td>/);
    assert.doesNotMatch(html, HISTORY_WORDS);
  });

  it('labels chart values briefly', () => {
    assert.deepEqual([100_000, 200_369, 12_333, 1_000_000, 2_500_000, 1234, 56.14, 4.921, 0.354].map(shortNumber), [
      '100k',
      '200k',
      '12.3k',
      '1M',
      '2.5M',
      '1,234',
      '56.1',
      '4.92',
      '0.35',
    ]);
  });

  it('names which side was the limit', () => {
    const figures = (serverPercent: number | null, loadPercent: number | null, machinePercent: number | null) => ({
      serverPercent,
      loadPercent,
      machinePercent,
      serverMicrosPerCall: null,
      loadMicrosPerCall: null,
    });
    const h2load = { loadThreads: 1, busiestThread: null };
    const ownLoad = (busiestThread: number) => ({ loadThreads: 2, busiestThread });
    assert.equal(limitOf(figures(97, 50, 150), h2load, 2), 'server');
    assert.equal(limitOf(figures(60, 120, 190), ownLoad(0.9), 2), 'all CPUs');
    assert.equal(limitOf(figures(40, 95, 140), h2load, 4), 'load');
    assert.equal(limitOf(figures(40, 95, 140), ownLoad(0.95), 4), 'load');
    assert.equal(limitOf(figures(40, 95, 140), ownLoad(0.5), 4), 'round trips');
    assert.equal(limitOf(figures(20, 20, 45), h2load, 2), 'round trips');
    assert.equal(limitOf(figures(null, null, null), h2load, 2), 'unknown');
  });
});

// The two runs below start processes and mostly wait: they run side by side.
describe('npm run bench -- --ceiling', { concurrency: true }, () => {
  const round = (index: number, reference: number, bare: number) => {
    const side = (requestsPerSec: number) => ({
      requestsPerSec,
      ok: 1000,
      errors: {},
      serverPercent: 99,
      serverMicrosPerCall: 30,
      loadPercent: 20,
      limit: 'server' as const,
    });
    return { round: index, first: 'reference' as const, reference: side(reference), bare: side(bare), ratio: reference / bare };
  };

  it('takes the median of the per-round ratios, the warm-up aside, and prints each round and the command', () => {
    assert.equal(medianRatio([{ ratio: 0.8 }, { ratio: 0.95 }, { ratio: 0.82 }]), 0.82);
    assert.equal(medianRatio([{ ratio: 0.8 }, { ratio: 0.9 }]), 0.85);
    const cpu = (reference: number | null, bare: number | null) => ({
      reference: { ...round(1, 1, 1).reference, serverMicrosPerCall: reference },
      bare: { ...round(1, 1, 1).bare, serverMicrosPerCall: bare },
    });
    assert.equal(medianCpuPerCallRatio([cpu(120, 100), cpu(150, 100), cpu(130, 100)]), 1.3);
    assert.equal(medianCpuPerCallRatio([cpu(120, 100), cpu(null, 100)]), null);
    const results: CeilingResults = {
      schema: 'taskmanager-bench-ceiling/1',
      startedAt: '2026-01-31T09:30:00.000Z',
      wallTimeMs: 30_000,
      load: {
        generator: 'h2load',
        choice: 'h2load (nghttp2/1.52.0)',
        commands: { reference: 'h2load -n 30000 -c 10 -m 10 x', bare: 'h2load -n 30000 y' },
      },
      settings: { call: 'CreateTask', connections: 10, streamsPerConnection: 10, roundMs: 1500, rounds: 2 },
      checks: { reference: { before: 'OK', after: 'OK' }, bare: { before: 'OK', after: 'OK' } },
      warmUp: round(0, 10_000, 20_000),
      rounds: [round(1, 27_000, 30_000), round(2, 28_000, 31_000)],
      medianRatio: 0.9,
      medianCpuPerCallRatio: 1.25,
      target: 0.9,
      otherProgramsCpuPercent: 35,
    };
    const text = formatCeiling(results)
      .join('\n')
      .replace(/\x1b\[[0-9;]*m/g, '');
    assert.match(text, /warm-up .* \(0\.50, not counted\)/);
    assert.match(text, /^1 .*27,000 .*30,000 .*0\.90/m);
    assert.match(text, /Median of the 2 per-round ratios, reference ÷ bare: 0\.90 \(target: at least 0\.90; met\)/);
    assert.match(text, /h2load command, gRPC reference: h2load -n 30000 -c 10 -m 10 x/);
    assert.match(text, /Other programs used 35% of this machine's CPU capacity during the rounds/);
    assert.match(text, /Server CPU time per call, reference ÷ bare \(median of the rounds\): 1\.25×/);
    assert.doesNotMatch(text, HISTORY_WORDS);
  });

  const folder = mkdtempSync(path.join(os.tmpdir(), 'bench-ceiling-test-'));
  let ceiling: ChildTsProcess | undefined;
  let interrupted: ChildTsProcess | undefined;
  after(async () => {
    await Promise.all([ceiling?.stop(0), interrupted?.stop(0)]);
    rmSync(folder, { recursive: true, force: true });
  });

  it('runs a one-round comparison with a few calls and stops both servers', { timeout: 60_000 }, async () => {
    const outFile = path.join(folder, 'ceiling.json');
    ceiling = spawnTs(BENCH_MAIN, ['--ceiling', '--rounds', '1', '--seconds', '0.2', '--out', outFile]);
    const servers = serverChildrenOf(ceiling, 20_000);
    const exitCode = await withTimeout(ceiling.exited, 50_000, 'the ceiling run');
    const output = ceiling.output.join('\n');
    assert.equal(exitCode, 0, output);
    assert.match(output, /Check before \(.*\): gRPC reference OK, gRPC bare OK/);
    assert.match(output, /Median of the 1 per-round ratios, reference ÷ bare: \d+\.\d\d/);
    assert.match(output, /Check after: gRPC reference OK, gRPC bare OK/);
    assert.match(output, findOnPath('h2load') ? /h2load command, gRPC bare: h2load -D 200ms -c 10 -m 10 / : /h2load was not used/);
    const results = JSON.parse(readFileSync(outFile, 'utf8')) as CeilingResults;
    assert.equal(results.schema, 'taskmanager-bench-ceiling/1');
    assert.equal(results.rounds.length, 1);
    assert.ok(results.rounds[0]!.reference.ok > 0 && results.rounds[0]!.bare.ok > 0);
    assert.deepEqual(await stillRunning(await servers), []);
  });

  it('stops its servers and exits 130 on Ctrl+C', {
    skip: process.platform === 'linux' ? false : 'reads /proc',
    timeout: 60_000,
  }, async () => {
    interrupted = spawnTs(BENCH_MAIN, [
      '--ceiling',
      '--load',
      'own',
      '--rounds',
      '20',
      '--seconds',
      '100',
      '--out',
      path.join(os.tmpdir(), 'never-written.json'),
    ]);
    const servers = await serverChildrenOf(interrupted, 20_000);
    await withTimeout(interrupted.findLine(/^Check before/, 20_000), 25_000, 'the ceiling to start measuring');
    interrupted.child.kill('SIGINT');
    assert.equal(await withTimeout(interrupted.exited, 10_000, 'the bench to exit'), 130);
    assert.deepEqual(await stillRunning(servers), []);
  });
});

/**
 * The pids of the servers a bench process started (its children running
 * server files), once both are there; [] where /proc cannot tell (not Linux).
 */
async function serverChildrenOf(bench: ChildTsProcess, timeoutMs: number): Promise<number[]> {
  if (process.platform !== 'linux') return [];
  const files = Object.values(SERVER_FILES);
  const find = () =>
    readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
          const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          return ppid === bench.child.pid && files.some((file) => command.includes(file));
        } catch {
          return false;
        }
      })
      .map(Number);
  const found = await withTimeout(
    new Promise<number[]>((resolve) => {
      const poll = () => {
        const pids = find();
        if (pids.length >= 2) return resolve(pids);
        setTimeout(poll, 20);
      };
      poll();
    }),
    timeoutMs,
    'the bench to start its servers',
  );
  return found;
}

function isRunning(pid: number): boolean {
  try {
    // A zombie (exited, not yet reaped by its parent) is not running.
    return !/^\S+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The pids among `pids` still running after a signal had `ms` to take effect. */
async function stillRunning(pids: number[], ms = 3000): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (pids.some(isRunning) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return pids.filter(isRunning);
}
