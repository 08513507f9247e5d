// The wire proxy with real sockets on 127.0.0.1: bytes out equal bytes in
// (valid HTTP/2 or not), backpressure both ways, resets and vanished peers,
// an unreachable target, grpc-js calls decoded, and HPACK checked against
// Node's own HTTP/2 (nghttp2) both ways.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { callUnary, createTaskManagerClient, type TaskEvent } from '../lib/client-runtime.ts';
import { loadTaskManagerProto } from '../lib/proto.ts';
import { CLIENT_PREFACE, encodeFrame, Flag, FrameType } from '../lib/wire/frames.ts';
import { encodeGrpcMessage } from '../lib/wire/grpc-messages.ts';
import { ProtoSchema } from '../lib/wire/protobuf.ts';
import { startWireProxy, type WireProxy } from '../lib/wire/proxy.ts';
import { type EventRecord, type FrameRecord, isFrame, type WireRecord } from '../lib/wire/records.ts';
import { waitUntil, withTimeout } from './helpers.ts';

const schema = ProtoSchema.load();
const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface TcpServer {
  port: number;
  /** Server-side sockets, in the order they connected. */
  sockets: net.Socket[];
  nextSocket(): Promise<net.Socket>;
}

async function tcpServer(): Promise<TcpServer> {
  const sockets: net.Socket[] = [];
  const waiters: Array<(socket: net.Socket) => void> = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    waiters.shift()?.(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  let taken = 0;
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    nextSocket() {
      const index = taken++;
      if (sockets[index]) return Promise.resolve(sockets[index]);
      return withTimeout(new Promise((resolve) => waiters.push(resolve)), 5000, 'a connection at the server');
    },
  };
}

async function proxyTo(port: number): Promise<{ proxy: WireProxy; records: WireRecord[]; closed(conn: number): Promise<EventRecord> }> {
  const records: WireRecord[] = [];
  const closeWaiters = new Map<number, (record: EventRecord) => void>();
  const proxy = await startWireProxy({
    listen: { host: '127.0.0.1', port: 0 },
    target: { host: '127.0.0.1', port },
    schema,
    onRecord(record) {
      records.push(record);
      if (!isFrame(record) && record.event === 'close') closeWaiters.get(record.conn)?.(record);
    },
  });
  cleanups.push(() => proxy.close());
  return {
    proxy,
    records,
    closed(conn) {
      const done = records.find((record) => !isFrame(record) && record.event === 'close' && record.conn === conn);
      if (done) return Promise.resolve(done as EventRecord);
      return withTimeout(new Promise((resolve) => closeWaiters.set(conn, resolve)), 5000, `connection ${conn} to close`);
    },
  };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(socket));
    socket.once('error', reject);
    cleanups.push(() => socket.destroy());
  });
}

/** Everything the peer sends until it ends its side (or the socket closes). */
function collect(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return withTimeout(
    new Promise((resolve) => {
      const done = () => resolve(Buffer.concat(chunks));
      socket.once('end', done);
      socket.once('close', done);
    }),
    10_000,
    'the socket to end',
  );
}

/** A TCP server, a proxy to it, and one connection through it: the client's socket and the server's. */
async function connectedThroughProxy() {
  const upstream = await tcpServer();
  const through = await proxyTo(upstream.port);
  const client = await connect(through.proxy.port);
  const server = await upstream.nextSocket();
  return { upstream, ...through, client, server };
}

const events = (records: WireRecord[]) => records.filter((record): record is EventRecord => !isFrame(record));
const frames = (records: WireRecord[]) => records.filter(isFrame);

describe('bytes out equal bytes in', () => {
  test('random bytes both ways (not HTTP/2): forwarded unchanged, and said to be not HTTP/2', async () => {
    const { records, closed, client, server } = await connectedThroughProxy();
    const up = randomBytes(1 << 20);
    const down = randomBytes(1 << 20);
    const atServer = collect(server);
    const atClient = collect(client);
    client.end(up);
    server.end(down);
    assert.ok((await atServer).equals(up), 'the server got exactly what the client sent');
    assert.ok((await atClient).equals(down), 'the client got exactly what the server sent');
    const summary = await closed(1);
    assert.deepEqual(summary.event === 'close' && summary.bytes, { c2s: up.length, s2c: down.length });
    assert.deepEqual(
      events(records)
        .flatMap((record) => (record.event === 'not-http2' ? [record.dir] : []))
        .sort(),
      ['c2s', 's2c'],
    );
  });

  test('HTTP/2 with bad parts (unknown frame, invalid protobuf, a frame cut off by the end) arrives byte for byte', async () => {
    const { records, closed, client, server } = await connectedThroughProxy();
    const path = Buffer.from('/taskmanager.TaskManager/GetTask');
    // HPACK: ":method POST" (static 3), ":path" as a literal with its static name (index 4).
    const headers = Buffer.concat([Buffer.from([0x83, 0x04, path.length]), path]);
    const sent = Buffer.concat([
      CLIENT_PREFACE,
      encodeFrame(FrameType.SETTINGS, 0, 0),
      encodeFrame(0x2a, 0, 0, Buffer.from('unknown')),
      encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, headers),
      encodeFrame(FrameType.DATA, 0, 1, encodeGrpcMessage(Buffer.from([0xff, 0xff, 0xff]))),
      encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.alloc(100)).subarray(0, 50),
    ]);
    const atServer = collect(server);
    client.end(sent);
    server.end();
    assert.ok((await atServer).equals(sent));
    await closed(1);
    const seen = frames(records);
    assert.deepEqual(
      seen.map((record) => record.type),
      ['SETTINGS', 'UNKNOWN', 'HEADERS', 'DATA'],
    );
    const data = seen[3]!;
    assert.equal(data.method, '/taskmanager.TaskManager/GetTask');
    assert.equal(data.message?.type, 'taskmanager.GetTaskRequest');
    assert.equal(data.message?.hex, 'ffffff');
    assert.ok(data.message?.error);
    assert.ok(events(records).some((record) => record.event === 'truncated' && record.expected === 100 && record.received === 41));
  });
});

describe('backpressure', () => {
  for (const dir of ['c2s', 's2c'] as const) {
    test(`a slow reader (${dir === 'c2s' ? 'the server' : 'the client'}) makes the proxy wait, not buffer`, async () => {
      const { proxy, client, server } = await connectedThroughProxy();
      const [writer, reader] = dir === 'c2s' ? [client, server] : [server, client];
      reader.pause();
      const total = 48 << 20;
      const chunk = randomBytes(1 << 20);
      for (let sent = 0; sent < total; sent += chunk.length) writer.write(chunk);
      writer.end();
      // The writer keeps most of it: the kernel's buffers fill, then the proxy stops reading.
      await waitUntil(() => writer.writableLength >= 8 << 20, 10_000, 'the writer to be held back');
      assert.ok(proxy.bufferedBytes() < 1 << 20, `the proxy holds ${proxy.bufferedBytes()} B`);
      let received = 0;
      let sameBytes = true;
      reader.on('data', (data: Buffer) => {
        // Every chunk written was the same 1 MiB, so each byte has a known value.
        for (let index = 0; index < data.length; index += 4099) sameBytes &&= data[index] === chunk[(received + index) % chunk.length];
        received += data.length;
      });
      reader.resume();
      await withTimeout(new Promise((resolve) => reader.once('end', resolve)), 20_000, 'all bytes to arrive');
      assert.equal(received, total);
      assert.ok(sameBytes);
    });
  }
});

describe('peers that reset or vanish, and a target that is not there', () => {
  test('a client reset reaches the server as a reset, and the proxy goes on serving', async () => {
    const { upstream, proxy, records, closed, client, server } = await connectedThroughProxy();
    const serverClosed = new Promise((resolve) => server.once('close', resolve));
    const serverError = new Promise<NodeJS.ErrnoException>((resolve) => server.once('error', resolve));
    client.write(CLIENT_PREFACE.subarray(0, 10));
    await withTimeout(new Promise((resolve) => server.once('data', resolve)), 5000, 'the first bytes at the server');
    client.resetAndDestroy();
    assert.equal((await withTimeout(serverError, 5000, 'a reset at the server')).code, 'ECONNRESET');
    await withTimeout(serverClosed, 5000, 'the server socket to close');
    await closed(1);
    assert.ok(events(records).some((record) => record.event === 'error' && record.dir === 'c2s'));
    // Still serving.
    const again = await connect(proxy.port);
    const second = await upstream.nextSocket();
    const got = collect(second);
    again.end('hello');
    second.end();
    assert.equal((await got).toString(), 'hello');
  });

  test('a server that vanishes closes the client side too', async () => {
    const { closed, client, server } = await connectedThroughProxy();
    const atClient = collect(client);
    server.destroy();
    await atClient; // the client sees the end, as it would without the proxy
    client.end();
    await closed(1);
  });

  test('an unreachable target: the client is disconnected and the reason recorded', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const { proxy, records, closed } = await proxyTo(port);
    const client = await connect(proxy.port);
    client.on('error', () => {});
    await collect(client);
    await closed(1);
    assert.ok(
      events(records).some((record) => record.event === 'error' && /cannot reach 127\.0\.0\.1:\d+: ECONNREFUSED/.test(record.message)),
    );
  });
});

describe('grpc-js through the proxy', () => {
  test('several calls on one connection: headers, metadata, messages by number and name, trailers with the status', async () => {
    const { taskmanager } = loadTaskManagerProto();
    const server = new grpc.Server();
    const watchers = new Set<grpc.ServerWritableStream<any, any>>();
    server.addService(taskmanager.TaskManager.service, {
      CreateTask(call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) {
        const task = { id: `id-${call.request.title}`, title: call.request.title, status: 'TASK_STATUS_TODO', tags: call.request.tags };
        for (const watcher of watchers) watcher.write({ event_type: 'TASK_EVENT_TYPE_CREATED', task });
        callback(null, { task });
      },
      GetTask(call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) {
        callback({ code: grpc.status.NOT_FOUND, details: `no task with id "${call.request.id}"` });
      },
      WatchTasks(call: grpc.ServerWritableStream<any, any>) {
        watchers.add(call);
        call.on('cancelled', () => watchers.delete(call));
      },
    } as any);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    cleanups.push(() => server.forceShutdown());
    const { proxy, records, closed } = await proxyTo(port);
    const client = createTaskManagerClient(`127.0.0.1:${proxy.port}`);
    cleanups.push(() => client.close());

    const received: TaskEvent[] = [];
    const watch = client.WatchTasks({});
    watch.on('data', (event: TaskEvent) => received.push(event));
    watch.on('error', () => {});
    await waitUntil(() => watchers.size === 1, 5000, 'the watch to reach the server');
    const metadata = new grpc.Metadata();
    metadata.set('authorization', 'Bearer t0k3n');
    const [first, second, missing] = await Promise.allSettled([
      callUnary(client, 'CreateTask', { title: 'one', tags: ['x'] }, undefined, metadata),
      callUnary(client, 'CreateTask', { title: 'two', tags: ['x', 'y'] }, undefined, metadata),
      callUnary(client, 'GetTask', { id: 'nope' }),
    ]);
    assert.equal(first.status, 'fulfilled');
    assert.equal(second.status, 'fulfilled');
    assert.equal(missing.status, 'rejected');
    await waitUntil(() => received.length === 2, 5000, 'two events on the watch');
    watch.cancel();
    client.close();
    const summary = await closed(1);

    const seen = frames(records);
    assert.ok(
      seen.every((record) => record.conn === 1),
      'one channel, one connection',
    );
    const requests = seen.filter((record) => record.dir === 'c2s' && record.headerRole === 'request');
    assert.equal(requests.length, 4);
    const dataStreams = new Set(seen.filter((record) => record.type === 'DATA' && record.dir === 'c2s').map((record) => record.stream));
    assert.ok(dataStreams.size >= 4);
    assert.deepEqual(summary.event === 'close' && summary.streamCount, 4);
    assert.ok(summary.event === 'close' && summary.maxConcurrentStreams >= 2, 'the watch stayed open while the unary calls ran');

    const header = (record: FrameRecord, name: string) => record.headers?.find((h) => h.name === name)?.value;
    const creates = requests.filter((record) => record.method === '/taskmanager.TaskManager/CreateTask');
    assert.equal(header(creates[0]!, 'authorization'), 'Bearer t0k3n');
    assert.match(header(creates[0]!, 'grpc-timeout') ?? '', /^\d+[HMSmun]$/);
    assert.ok(creates[1]!.hpack!.encodedLength < creates[0]!.hpack!.encodedLength, 'the second time, HPACK sends table indexes');

    const statuses = seen.flatMap((record) =>
      record.status ? [`${record.method} ${record.status.name} ${record.status.message ?? ''}`] : [],
    );
    assert.ok(statuses.includes('/taskmanager.TaskManager/GetTask NOT_FOUND no task with id "nope"'), statuses.join('\n'));
    assert.ok(statuses.some((status) => status.startsWith('/taskmanager.TaskManager/CreateTask OK')));

    const request = seen.find((record) => record.type === 'DATA' && record.method?.endsWith('CreateTask') && record.dir === 'c2s')!;
    assert.deepEqual(request.message?.fields[0], { field: 1, wire: 'LEN', value: 'one', name: 'title', length: 3, kind: 'string' });
    const event = seen.find((record) => record.type === 'DATA' && record.method?.endsWith('WatchTasks') && record.dir === 's2c')!;
    assert.equal(event.message?.type, 'taskmanager.TaskEvent');
    assert.deepEqual(
      event.message?.fields.map(({ field, wire, name }) => [field, wire, name]),
      [
        [1, 'VARINT', 'event_type'],
        [2, 'LEN', 'task'],
      ],
    );
    assert.ok(
      seen.some((record) => record.type === 'RST_STREAM' && record.method?.endsWith('WatchTasks') && record.errorCode === 'CANCEL'),
    );
  });
});

describe('HPACK against nghttp2', () => {
  test("the headers decoded from the wire are the ones Node's HTTP/2 sent and received, both ways", async () => {
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, index) => String.fromCharCode(0x21 + index)).join('');
    const receivedByServer: http2.IncomingHttpHeaders[] = [];
    const server = http2.createServer();
    server.on('stream', (stream, headers) => {
      receivedByServer.push(headers);
      stream.respond({ ':status': 200, 'x-echo': `${headers['x-n']} ${printable}` });
      stream.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as net.AddressInfo).port;
    const { proxy, records, closed } = await proxyTo(port);
    const session = http2.connect(`http://127.0.0.1:${proxy.port}`);
    cleanups.push(() => session.destroy());

    const receivedByClient: string[] = [];
    // Distinct values, each longer than the last: the dynamic table fills and evicts.
    // One header bigger than the whole table (4096 B) empties it (RFC 7541, 4.4).
    for (let n = 0; n < 60; n++) {
      const request = session.request({
        ':path': `/r/${n}`,
        'x-n': `${n}-${'v'.repeat(n * 3)}`,
        'x-printable': printable,
        ...(n === 30 ? { 'x-huge': 'h'.repeat(5000) } : {}),
      });
      const answer = await withTimeout(
        new Promise<http2.IncomingHttpHeaders>((resolve) => request.once('response', resolve)),
        5000,
        `response ${n}`,
      );
      receivedByClient.push(String(answer['x-echo']));
      request.resume();
      await new Promise((resolve) => request.once('end', resolve));
    }
    session.close();
    await closed(1);

    const seen = frames(records).filter((record) => record.headers);
    const decoded = (dir: 'c2s' | 's2c', name: string) =>
      seen.filter((record) => record.dir === dir).map((record) => record.headers!.find((h) => h.name === name)?.value);
    assert.deepEqual(
      decoded('c2s', 'x-n'),
      receivedByServer.map((headers) => headers['x-n']),
    );
    assert.deepEqual(
      decoded('c2s', 'x-printable'),
      receivedByServer.map(() => printable),
    );
    assert.equal(decoded('c2s', 'x-huge').filter(Boolean)[0], 'h'.repeat(5000));
    assert.deepEqual(decoded('s2c', 'x-echo'), receivedByClient);
    assert.ok(seen.every((record) => !record.error));
  });
});
