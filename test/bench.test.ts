// `npm run bench` (issue 6): the REST twin behaves like the gRPC service, and a
// quick bench run completes and writes well-formed results. Timings are never
// asserted here: they belong to the bench, not to tests.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BenchResults } from '../bench/results.ts';
import { SERVER_FILES } from '../bench/servers.ts';
import { type ChildTsProcess, type ServerProcess, spawnTs, startServerProcess } from '../lib/process.ts';
import type { Task, TaskEvent } from '../lib/proto.ts';
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

describe('npm run bench -- --quick', () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'bench-test-'));
  const outFile = path.join(folder, 'results.json');
  let bench: ChildTsProcess | undefined;
  after(async () => {
    await bench?.stop(0);
    rmSync(folder, { recursive: true, force: true });
  });

  it('completes and writes well-formed results', { timeout: 120_000 }, async () => {
    bench = spawnTs(BENCH_MAIN, ['--quick', '--out', outFile]);
    const exitCode = await withTimeout(bench.exited, 100_000, 'the quick bench to finish');
    const output = bench.output.join('\n');
    assert.equal(exitCode, 0, output);
    assert.match(output, /Ratios/);
    assert.match(output, /issue 6, item 3/);

    const results = JSON.parse(readFileSync(outFile, 'utf8')) as BenchResults;
    assert.equal(results.schema, 'taskmanager-bench/1');
    assert.equal(results.mode, 'quick');
    assert.ok(results.wallTimeMs > 0);

    for (const size of [results.sizes.oneTask, results.sizes.hundredTasks]) {
      assert.ok(size.protobufBytes > 0 && size.jsonBytes > 0 && size.jsonToProtobufRatio > 0, JSON.stringify(size));
    }

    // Every server × call × number of callers, each with successful answers and real timings.
    assert.equal(results.unary.length, 3 * 2 * 3);
    for (const server of ['grpc-reference', 'grpc-bare', 'rest'] as const) {
      for (const operation of ['create', 'get'] as const) {
        for (const concurrency of [1, 10, 100]) {
          const cell = results.unary.find((c) => c.server === server && c.operation === operation && c.concurrency === concurrency);
          assert.ok(cell, `no unary result for ${server} ${operation} × ${concurrency}`);
          assert.ok(cell.ok > 0 && cell.throughputPerSec > 0 && cell.elapsedMs > 0, JSON.stringify(cell));
          assert.ok(cell.latencyMs.p50 > 0 && cell.latencyMs.p99 >= cell.latencyMs.p50, JSON.stringify(cell));
          assert.ok(cell.cpu.clientPercent > 0, JSON.stringify(cell));
          assert.equal(typeof cell.errors, 'object');
        }
      }
    }

    assert.equal(results.streaming.length, 2 * 3);
    for (const server of ['grpc-reference', 'rest'] as const) {
      for (const watchers of [1, 100, 1000]) {
        const cell = results.streaming.find((c) => c.server === server && c.watchers === watchers);
        assert.ok(cell, `no streaming result for ${server} with ${watchers} watchers`);
        assert.ok(cell.rounds > 0 && cell.samples > 0 && cell.latencyMs.p50 > 0, JSON.stringify(cell));
      }
    }

    const { grpcReferenceOverRest, referenceOverBare } = results.comparisons;
    assert.equal(grpcReferenceOverRest.length, 6);
    assert.equal(referenceOverBare.cells.length, 6);
    for (const cell of [...grpcReferenceOverRest, ...referenceOverBare.cells]) assert.ok(cell.ratio > 0, JSON.stringify(cell));
    assert.ok(referenceOverBare.geometricMean > 0);
    assert.equal(referenceOverBare.goal, 0.8);
    assert.equal(typeof referenceOverBare.met, 'boolean');
  });
});
