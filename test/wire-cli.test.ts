// `npm run wire` as a learner runs it: the demo (JSON lines, and the same
// records as 80-column text), bad command lines, an unreachable target, Ctrl+C.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO_ROOT } from '../lib/proto.ts';
import { formatText } from '../lib/wire/format.ts';
import { type FrameRecord, isFrame, type WireRecord } from '../lib/wire/records.ts';

const WIRE = path.join(REPO_ROOT, 'scripts', 'wire.ts');
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs scripts/wire.ts with `args`; `onStdout` sees output as it comes (e.g. to send Ctrl+C once listening). */
function runWire(args: string[], timeoutMs: number, onStdout?: (text: string, child: ChildProcess) => void): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx/esm', WIRE, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
    onStdout?.(stdout, child);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`wire ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('npm run wire -- --demo --jsonl', () => {
  test('several calls interleaved on one connection: HEADERS and DATA of 3+ streams, trailers with grpc-status, fields by number', async () => {
    const { code, stdout, stderr } = await runWire(['--demo', '--jsonl'], 45_000);
    assert.equal(code, 0, stderr);
    const records = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as WireRecord);
    const frames = records.filter(isFrame);
    for (const frame of frames) {
      for (const key of ['conn', 'dir', 'type', 'stream', 'length', 'flags'] as const)
        assert.ok(key in frame, `${key} in ${JSON.stringify(frame)}`);
    }
    const byConn = new Map<number, FrameRecord[]>();
    for (const frame of frames) byConn.set(frame.conn, [...(byConn.get(frame.conn) ?? []), frame]);
    const streamsWithBoth = (list: FrameRecord[]) => {
      const streams = (type: string) =>
        new Set(list.filter((frame) => frame.type === type && frame.stream > 0).map((frame) => frame.stream));
      const data = streams('DATA');
      return [...streams('HEADERS')].filter((stream) => data.has(stream));
    };
    assert.ok(
      [...byConn.values()].some((list) => streamsWithBoth(list).length >= 3),
      'at least three streams with HEADERS and DATA on one connection',
    );
    const trailers = frames.filter((frame) => frame.headers?.some((header) => header.name === 'grpc-status'));
    assert.ok(trailers.some((frame) => frame.status?.name === 'OK'));
    assert.ok(trailers.some((frame) => frame.status?.name === 'NOT_FOUND'));
    const fields = frames.flatMap((frame) => frame.message?.fields ?? []);
    assert.ok(
      fields.length > 0 && fields.every((field) => Number.isInteger(field.field) && typeof field.wire === 'string' && 'value' in field),
    );

    // The same records as text: every line within 80 columns.
    for (const record of records) {
      for (const line of formatText(record, { colors: false }).split('\n')) assert.ok(line.length <= 80, `over 80 columns: ${line}`);
    }
  });
});

describe('bad command lines and targets: one line on stderr, a non-zero exit', () => {
  test('unknown flag, bad port, unreachable target, missing proto; --help', async () => {
    const port = await closedPort();
    const [unknown, badPort, unreachable, noProto, help] = await Promise.all([
      runWire(['--bogus'], 30_000),
      runWire(['--listen', '99999'], 30_000),
      runWire(['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${port}`], 30_000),
      runWire(['--proto', 'no/such.proto'], 30_000),
      runWire(['--help'], 30_000),
    ]);
    for (const [run, code, pattern] of [
      [unknown, 2, /^wire: unknown option --bogus /],
      [badPort, 2, /--listen must be PORT or HOST:PORT/],
      [unreachable, 1, /cannot reach the server at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/],
      [noProto, 1, /cannot read the proto no\/such\.proto/],
    ] as const) {
      assert.equal(run.code, code, run.stderr);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.match(run.stderr, pattern);
      assert.equal(run.stdout, '');
    }
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: npm run wire/);
  });

  test('Ctrl+C closes the proxy and exits 0', {
    skip: process.platform === 'win32' && 'no SIGINT for child processes on Windows',
  }, async () => {
    const target = net.createServer();
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const { port } = target.address() as net.AddressInfo;
    try {
      let sent = false;
      const run = await runWire(['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${port}`], 30_000, (text, child) => {
        if (!sent && /listening on/.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      assert.equal(run.code, 0, run.stderr);
    } finally {
      await new Promise((resolve) => target.close(resolve));
    }
  });
});
