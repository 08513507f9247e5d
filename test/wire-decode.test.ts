// The decoders behind `npm run wire`, on bytes made here: HTTP/2 frames in
// any chunking, HPACK (the RFC's own examples), gRPC message prefixes,
// protobuf raw and named, and the connection decoder on bad input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import protobuf from 'protobufjs';
import { ConnectionDecoder } from '../lib/wire/connection.ts';
import { formatText } from '../lib/wire/format.ts';
import { CLIENT_PREFACE, encodeFrame, Flag, FrameReader, FrameType, MAX_KEPT_PAYLOAD, type ReaderEvent } from '../lib/wire/frames.ts';
import { encodeGrpcMessage, GrpcMessageSplitter, MAX_KEPT_MESSAGE } from '../lib/wire/grpc-messages.ts';
import { HeaderBlockDecoder } from '../lib/wire/hpack.ts';
import { decodeMessage, ProtoSchema, type RawMessage } from '../lib/wire/protobuf.ts';
import { type FrameRecord, isFrame, type WireRecord } from '../lib/wire/records.ts';

const schema = ProtoSchema.load();
const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');

/** An HPACK "literal header field without indexing, new name" (RFC 7541, 6.2.2), no Huffman: easy to build by hand. */
function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
}

function requestHeaders(path: string): Buffer {
  return Buffer.concat([Buffer.from([0x83, 0x86]), literal(':path', path), literal('content-type', 'application/grpc')]);
}

const settings = encodeFrame(FrameType.SETTINGS, 0, 0);

function frames(events: ReaderEvent[]) {
  return events.flatMap((event) => (event.kind === 'frame' ? [event.frame] : []));
}

describe('FrameReader', () => {
  const stream = Buffer.concat([
    CLIENT_PREFACE,
    settings,
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, requestHeaders('/taskmanager.TaskManager/GetTask')),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, encodeGrpcMessage(Buffer.from([0x0a, 0x01, 0x78]))),
    encodeFrame(0x2a, 0xff, 0, Buffer.from('odd')),
  ]);

  test('finds the same frames whatever the chunks (one byte at a time, or all at once)', () => {
    const whole = new FrameReader(true).push(stream);
    const reader = new FrameReader(true);
    const byByte = [...stream].flatMap((byte) => reader.push(Buffer.from([byte])));
    assert.deepEqual(byByte, whole);
    assert.equal(whole[0]?.kind, 'preface');
    assert.deepEqual(
      frames(whole).map((frame) => [frame.type, frame.streamId, frame.length]),
      [
        [FrameType.SETTINGS, 0, 0],
        [FrameType.HEADERS, 1, requestHeaders('/taskmanager.TaskManager/GetTask').length],
        [FrameType.DATA, 1, 8],
        [0x2a, 0, 3],
      ],
    );
    assert.deepEqual(reader.end(), {});
  });

  test('an HTTP/1.1 client is not HTTP/2: said once, then the bytes are only counted', () => {
    const reader = new FrameReader(true);
    const events = reader.push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(events.length, 1);
    assert.equal(events[0]?.kind, 'not-http2');
    assert.deepEqual(reader.push(Buffer.alloc(100_000)), []);
    assert.ok(reader.passthrough);
  });

  test('a server whose first frame is not SETTINGS is not HTTP/2', () => {
    const [event] = new FrameReader(false).push(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
    assert.equal(event?.kind, 'not-http2');
  });

  test('a frame cut short by the end of the stream is reported by end()', () => {
    const reader = new FrameReader(false);
    const frame = encodeFrame(FrameType.DATA, 0, 1, Buffer.alloc(100));
    assert.equal(frames(reader.push(Buffer.concat([settings, frame.subarray(0, 40)]))).length, 1);
    assert.deepEqual(reader.end(), { incomplete: { expected: 100, received: 31, what: 'DATA frame payload' } });
  });

  test('a huge frame is skipped past (only its start is kept), and the frames after it still parse', () => {
    const reader = new FrameReader(false);
    const length = MAX_KEPT_PAYLOAD + 5000;
    const header = encodeFrame(FrameType.DATA, 0, 1, Buffer.alloc(0));
    header.writeUIntBE(length, 0, 3);
    reader.push(Buffer.concat([settings, header]));
    const events: ReaderEvent[] = [];
    for (let sent = 0; sent < length; sent += 64 * 1024) events.push(...reader.push(Buffer.alloc(Math.min(64 * 1024, length - sent))));
    events.push(...reader.push(encodeFrame(FrameType.PING, 0, 0, Buffer.alloc(8))));
    const [huge, ping] = frames(events);
    assert.equal(huge?.length, length);
    assert.equal(huge?.payload.length, MAX_KEPT_PAYLOAD);
    assert.equal(ping?.type, FrameType.PING);
  });
});

describe('HeaderBlockDecoder (hpack.js)', () => {
  test("decodes RFC 7541's C.4 requests (Huffman), using the dynamic table across blocks", () => {
    const decoder = new HeaderBlockDecoder();
    const first = decoder.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'));
    assert.deepEqual(first.headers, [
      { name: ':method', value: 'GET' },
      { name: ':scheme', value: 'http' },
      { name: ':path', value: '/' },
      { name: ':authority', value: 'www.example.com' },
    ]);
    // ":authority: www.example.com" is now entry 62 of the dynamic table: one byte (0xbe).
    const second = decoder.decode(hex('8286 84be 5886 a8eb 1064 9cbf'));
    assert.deepEqual(second.headers.at(-1), { name: 'cache-control', value: 'no-cache' });
    assert.equal(second.headers[3]?.value, 'www.example.com');
    const third = decoder.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'));
    assert.deepEqual(third.headers.slice(1), [
      { name: ':scheme', value: 'https' },
      { name: ':path', value: '/index.html' },
      { name: ':authority', value: 'www.example.com' },
      { name: 'custom-key', value: 'custom-value' },
    ]);
    assert.equal(third.error, undefined);
  });

  test('a broken block is an error, and later blocks say the table may be wrong', () => {
    const decoder = new HeaderBlockDecoder();
    const broken = decoder.decode(hex('82 ff'));
    assert.match(broken.error ?? '', /^HPACK: /);
    assert.deepEqual(broken.headers, [{ name: ':method', value: 'GET' }]);
    const next = decoder.decode(hex('82'));
    assert.deepEqual(next.headers, [{ name: ':method', value: 'GET' }]);
    assert.equal(next.tableLost, true);
  });
});

describe('GrpcMessageSplitter', () => {
  test('a message split over frames, and two messages in one frame', () => {
    const splitter = new GrpcMessageSplitter();
    const one = encodeGrpcMessage(Buffer.from('first message'));
    const two = encodeGrpcMessage(Buffer.from('second'));
    const three = encodeGrpcMessage(Buffer.from('third'));
    const a = splitter.push(one.subarray(0, 3));
    assert.deepEqual(a.messages, []);
    const b = splitter.push(one.subarray(3, 10));
    assert.deepEqual(b.partial, { received: 5, length: 13 });
    const c = splitter.push(Buffer.concat([one.subarray(10), two, three]));
    assert.deepEqual(
      c.messages.map((message) => message.bytes?.toString()),
      ['first message', 'second', 'third'],
    );
    assert.equal(splitter.unfinished(), undefined);
  });

  test('a flag other than 0 or 1 means the data is not gRPC: said, then ignored', () => {
    const splitter = new GrpcMessageSplitter();
    assert.match(splitter.push(Buffer.from([7, 0, 0, 0, 1, 0])).error ?? '', /compressed flag is 7/);
    assert.deepEqual(splitter.push(encodeGrpcMessage(Buffer.from('x'))).messages, []);
  });

  test('a message larger than the keep limit is measured, not kept', () => {
    const splitter = new GrpcMessageSplitter();
    const length = MAX_KEPT_MESSAGE + 1;
    const prefix = Buffer.from([0, 0, 0, 0, 0]);
    prefix.writeUInt32BE(length, 1);
    splitter.push(prefix);
    let result = splitter.push(Buffer.alloc(length - 1));
    assert.deepEqual(result.partial, { received: length - 1, length });
    result = splitter.push(Buffer.alloc(1));
    assert.deepEqual(result.messages, [{ compressed: false, length, bytes: undefined }]);
  });
});

describe('protobuf decoding', () => {
  const types = schema.method('/taskmanager.TaskManager/GetTask')!;

  test('raw: field numbers and wire types; named: the same with names, and its JSON size', () => {
    const task = { id: 't1', title: 'Write the proto', status: 2, tags: ['a', 'b'] };
    const bytes = types.response.encode(types.response.fromObject({ task })).finish();
    const decoded = decodeMessage(bytes, types.response);
    assert.equal(decoded.type, 'taskmanager.GetTaskResponse');
    const [outer] = decoded.fields;
    assert.deepEqual(
      { ...outer, value: undefined },
      { field: 1, wire: 'LEN', value: undefined, name: 'task', length: bytes.length - 2, kind: 'message' },
    );
    const inner = outer!.value as RawMessage;
    assert.deepEqual(
      inner.fields.map(({ field, wire, value, name }) => ({ field, wire, value, name })),
      [
        { field: 1, wire: 'LEN', value: 't1', name: 'id' },
        { field: 2, wire: 'LEN', value: 'Write the proto', name: 'title' },
        { field: 4, wire: 'VARINT', value: 2, name: 'status' },
        { field: 7, wire: 'LEN', value: 'a', name: 'tags' },
        { field: 7, wire: 'LEN', value: 'b', name: 'tags' },
      ],
    );
    assert.equal(inner.fields[2]?.enum, 'TASK_STATUS_IN_PROGRESS');
    assert.deepEqual(decoded.json, { task: { id: 't1', title: 'Write the proto', status: 'TASK_STATUS_IN_PROGRESS', tags: ['a', 'b'] } });
    assert.equal(decoded.jsonLength, JSON.stringify(decoded.json).length);
    assert.ok(decoded.jsonLength! > bytes.length, 'JSON spells out the names protobuf leaves out');
  });

  test('a renumbered field: the old reader sees an unknown number and loses the value', () => {
    // What a peer that renumbered title from 2 to 9 sends, read with today's proto.
    const renumbered = protobuf
      .parse('syntax = "proto3"; message CreateTaskRequest { string title = 9; }')
      .root.lookupType('CreateTaskRequest');
    const bytes = renumbered.encode({ title: 'moved' }).finish();
    const create = schema.method('/taskmanager.TaskManager/CreateTask')!.request;
    const decoded = decodeMessage(bytes, create);
    assert.deepEqual(decoded.fields, [{ field: 9, wire: 'LEN', value: 'moved', length: 5, kind: 'string' }]);
    assert.deepEqual(decoded.json, {});
  });

  test('packed numbers, and guesses without a type: string, nested message, bytes', () => {
    const { root } = protobuf.parse('syntax = "proto3"; message Numbers { repeated int32 values = 1; }');
    root.resolveAll(); // proto3 packs repeated numbers; protobufjs applies that once resolved
    const numbers = root.lookupType('Numbers');
    const packed = decodeMessage(numbers.encode({ values: [1, 300, 5] }).finish(), numbers);
    assert.deepEqual(packed.fields[0]?.value, [1, 300, 5]);
    assert.equal(packed.fields[0]?.kind, 'packed');
    // 1: "hi", 2: { 1: 150 }, 3: bytes ff 00
    const untyped = decodeMessage(hex('0a026869 1203089601 1a02ff00'));
    assert.deepEqual(
      untyped.fields.map(({ field, kind, value }) => ({ field, kind, value })),
      [
        { field: 1, kind: 'string', value: 'hi' },
        { field: 2, kind: 'message', value: { fields: [{ field: 1, wire: 'VARINT', value: 150 }] } },
        { field: 3, kind: 'bytes', value: 'ff00' },
      ],
    );
  });

  test('bytes that are not protobuf: the fields before the problem, the error, and the bytes', () => {
    const decoded = decodeMessage(hex('0a05 6869'), types.request);
    assert.match(decoded.error ?? '', /index out of range/);
    assert.equal(decoded.hex, '0a056869');
    const badWire = decodeMessage(hex('08 01 0f'), undefined);
    assert.deepEqual(badWire.fields, [{ field: 1, wire: 'VARINT', value: 1 }]);
    assert.match(badWire.error ?? '', /wire type 7/);
  });
});

describe('ConnectionDecoder', () => {
  function run(chunks: Array<['c2s' | 's2c', Buffer]>): WireRecord[] {
    const decoder = new ConnectionDecoder(1, schema);
    return chunks.flatMap(([dir, chunk]) => decoder.push(dir, chunk, 0));
  }
  const frameRecords = (records: WireRecord[]) => records.filter(isFrame);

  test('a call: headers (split over CONTINUATION) name the method, DATA is decoded with its types, trailers carry the status', () => {
    const block = requestHeaders('/taskmanager.TaskManager/GetTask');
    const records = frameRecords(
      run([
        ['c2s', Buffer.concat([CLIENT_PREFACE, settings])],
        ['s2c', settings],
        [
          'c2s',
          Buffer.concat([
            encodeFrame(FrameType.HEADERS, 0, 1, block.subarray(0, 10)),
            encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, block.subarray(10)),
            // PADDED: pad length 3, the message, 3 bytes of padding.
            encodeFrame(
              FrameType.DATA,
              Flag.END_STREAM | Flag.PADDED,
              1,
              Buffer.concat([Buffer.from([3]), encodeGrpcMessage(hex('0a027431')), Buffer.alloc(3)]),
            ),
          ]),
        ],
        [
          's2c',
          encodeFrame(
            FrameType.HEADERS,
            Flag.END_HEADERS | Flag.END_STREAM,
            1,
            Buffer.concat([literal('grpc-status', '5'), literal('grpc-message', 'not%20here')]),
          ),
        ],
      ]),
    );
    const continuation = records.find((record) => record.type === 'CONTINUATION')!;
    assert.equal(continuation.method, '/taskmanager.TaskManager/GetTask');
    assert.equal(continuation.headerRole, 'request');
    assert.deepEqual(continuation.headers?.[2], { name: ':path', value: '/taskmanager.TaskManager/GetTask' });
    const data = records.find((record) => record.type === 'DATA')!;
    assert.equal(data.padding, 3);
    assert.deepEqual(data.message?.json, { id: 't1' });
    assert.deepEqual(data.message?.fields, [{ field: 1, wire: 'LEN', value: 't1', name: 'id', length: 2, kind: 'string' }]);
    const trailers = records.at(-1)!;
    assert.equal(trailers.headerRole, 'trailers-only');
    assert.deepEqual(trailers.status, { code: 5, name: 'NOT_FOUND', message: 'not here' });
  });

  test("a status that crosses the client's RST_STREAM is decoded, and the summary still counts one stream", () => {
    const decoder = new ConnectionDecoder(1, schema);
    decoder.push(
      'c2s',
      Buffer.concat([
        CLIENT_PREFACE,
        settings,
        encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, requestHeaders('/taskmanager.TaskManager/GetTask')),
      ]),
      0,
    );
    decoder.push('s2c', settings, 0);
    // The deadline passes: the client cancels, the server's DEADLINE_EXCEEDED is already on its way.
    decoder.push('c2s', encodeFrame(FrameType.RST_STREAM, 0, 1, Buffer.from([0, 0, 0, 8])), 1);
    const [late] = decoder.push(
      's2c',
      encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, literal('grpc-status', '4')),
      2,
    );
    assert.deepEqual((late as FrameRecord).status, { code: 4, name: 'DEADLINE_EXCEEDED' });
    assert.equal((late as FrameRecord).method, '/taskmanager.TaskManager/GetTask');
    const summary = decoder.summary(3);
    assert.deepEqual(summary.event === 'close' && [summary.streams, summary.streamCount, summary.maxConcurrentStreams], [[1], 1, 1]);
  });

  test('bad input is described, never thrown: unknown type, malformed payloads, invalid protobuf, oversized frames', () => {
    const records = frameRecords(
      run([
        [
          'c2s',
          Buffer.concat([
            CLIENT_PREFACE,
            settings,
            encodeFrame(0x2a, 0, 0, Buffer.from('??')),
            encodeFrame(FrameType.SETTINGS, 0, 0, Buffer.alloc(5)),
            encodeFrame(FrameType.WINDOW_UPDATE, 0, 0, Buffer.alloc(3)),
            encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, requestHeaders('/taskmanager.TaskManager/CreateTask')),
            encodeFrame(FrameType.DATA, 0, 1, encodeGrpcMessage(hex('ffffffff'))),
            encodeFrame(FrameType.DATA, Flag.PADDED, 1, Buffer.from([9, 0])),
            encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, 3, Buffer.alloc(2)),
            encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.alloc(20_000)),
          ]),
        ],
      ]),
    );
    const [, unknown, badSettings, badWindow, , badMessage, badPadding, orphan, oversized] = records;
    assert.deepEqual([unknown?.type, unknown?.typeCode, unknown?.hex], ['UNKNOWN', 0x2a, '3f3f']);
    assert.match(badSettings?.error ?? '', /not a multiple of 6/);
    assert.match(badWindow?.error ?? '', /must be 4 bytes/);
    assert.match(badMessage?.message?.error ?? '', /index out of range/);
    assert.equal(badMessage?.message?.json, undefined, 'no named view of bytes that are not protobuf');
    assert.equal(badMessage?.message?.hex, 'ffffffff');
    assert.match(badPadding?.error ?? '', /pad length/);
    assert.match(orphan?.error ?? '', /CONTINUATION without/);
    assert.deepEqual(oversized?.oversized, { limit: 16_384 });
    // 20,000 zero bytes are 4,000 empty gRPC messages: the first 16 are decoded, the rest counted.
    assert.deepEqual([oversized?.messages?.length, oversized?.messagesNotShown], [16, 4000 - 16]);
  });

  test('text lines fit 80 columns and carry no colour codes unless asked', () => {
    const records = run([
      [
        'c2s',
        Buffer.concat([
          CLIENT_PREFACE,
          settings,
          encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, requestHeaders(`/x/${'y'.repeat(200)}`)),
        ]),
      ],
    ]);
    const text = records.map((record) => formatText(record, { colors: false })).join('');
    for (const line of text.split('\n')) assert.ok(line.length <= 80, `longer than 80: ${line}`);
    assert.doesNotMatch(text, /\u001b/);
    assert.match(formatText(records.at(-1) as FrameRecord, { colors: true }), /\u001b\[/);
  });
});
