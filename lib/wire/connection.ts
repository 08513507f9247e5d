// One proxied connection, both directions: frames in, records out. This is
// where the layers meet: frames (RFC 9113) carry header blocks (HPACK, one
// table per direction) and DATA; the request headers name the method, the
// method names the protobuf types, and the DATA of that stream is cut into
// gRPC messages and decoded with them.
import { gunzipSync, inflateSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import {
  DEFAULT_MAX_FRAME_SIZE,
  errorCodeName,
  Flag,
  type Frame,
  FrameReader,
  FrameType,
  flagNames,
  frameTypeName,
  settingName,
  unpad,
} from './frames.ts';
import { type GrpcMessage, GrpcMessageSplitter, MAX_KEPT_MESSAGE } from './grpc-messages.ts';
import { HeaderBlockDecoder, type HeaderField } from './hpack.ts';
import { decodeMessage, hexPreview, type MethodTypes, type ProtoSchema } from './protobuf.ts';
import type { Direction, EventRecord, FrameRecord, GrpcMessageRecord, WireRecord } from './records.ts';

/** A header block (HEADERS + CONTINUATION frames) longer than this is not decoded. */
const MAX_HEADER_BLOCK = 1 << 20;
/** gRPC messages decoded per DATA frame; the rest are only counted. */
const MAX_MESSAGES_SHOWN = 16;
/** Stream ids listed in a connection's summary (a long-lived connection may carry millions). */
const MAX_LISTED_STREAMS = 1000;
/** Closed streams whose method is remembered, for the frames that trail behind them (RST_STREAM, WINDOW_UPDATE). */
const RECENTLY_CLOSED = 256;

interface StreamState {
  method?: string;
  types?: MethodTypes;
  /** grpc-encoding of each direction: how a message with the compressed flag was compressed. */
  encoding: Partial<Record<Direction, string>>;
  splitters: Record<Direction, GrpcMessageSplitter>;
  headerBlocks: Record<Direction, number>;
  ended: Record<Direction, boolean>;
}

interface PendingBlock {
  stream: number;
  fragments: Buffer[];
  length: number;
  endStream: boolean;
}

export class ConnectionDecoder {
  readonly conn: number;
  readonly #schema: ProtoSchema | undefined;
  readonly #readers: Record<Direction, FrameReader> = { c2s: new FrameReader(true), s2c: new FrameReader(false) };
  readonly #hpack: Record<Direction, HeaderBlockDecoder> = { c2s: new HeaderBlockDecoder(), s2c: new HeaderBlockDecoder() };
  readonly #blocks: Record<Direction, PendingBlock | undefined> = { c2s: undefined, s2c: undefined };
  /** The largest frame each direction may carry: the receiver's SETTINGS_MAX_FRAME_SIZE. */
  readonly #maxFrameSize: Record<Direction, number> = { c2s: DEFAULT_MAX_FRAME_SIZE, s2c: DEFAULT_MAX_FRAME_SIZE };
  /** Open streams only: a closed one's state is dropped, so memory follows concurrency, not history. */
  readonly #streams = new Map<number, StreamState>();
  readonly #recentlyClosed = new Map<number, string | undefined>();
  readonly #streamIds: number[] = [];
  #streamCount = 0;
  readonly bytes: Record<Direction, number> = { c2s: 0, s2c: 0 };
  readonly frames: Record<Direction, number> = { c2s: 0, s2c: 0 };
  #maxConcurrentStreams = 0;

  constructor(conn: number, schema?: ProtoSchema) {
    this.conn = conn;
    this.#schema = schema;
  }

  /** Bytes seen travelling in `dir`; returns what they completed. */
  push(dir: Direction, chunk: Buffer, time: number): WireRecord[] {
    this.bytes[dir] += chunk.length;
    const records: WireRecord[] = [];
    for (const event of this.#readers[dir].push(chunk)) {
      if (event.kind === 'frame') {
        this.frames[dir] += 1;
        records.push(this.#describe(dir, event.frame, time));
      } else if (event.kind === 'not-http2') {
        records.push({ time, conn: this.conn, event: 'not-http2', dir, reason: event.reason, preview: printable(event.preview) });
      }
    }
    return records;
  }

  /** `dir` has ended (or the connection went away): reports a frame cut short. */
  end(dir: Direction, time: number): EventRecord[] {
    const { incomplete } = this.#readers[dir].end();
    return incomplete ? [{ time, conn: this.conn, event: 'truncated', dir, ...incomplete }] : [];
  }

  summary(time: number): EventRecord {
    return {
      time,
      conn: this.conn,
      event: 'close',
      bytes: { ...this.bytes },
      frames: { ...this.frames },
      streams: [...this.#streamIds],
      streamCount: this.#streamCount,
      maxConcurrentStreams: this.#maxConcurrentStreams,
    };
  }

  #describe(dir: Direction, frame: Frame, time: number): FrameRecord {
    const type = frameTypeName(frame.type);
    const record: FrameRecord = {
      time,
      conn: this.conn,
      dir,
      type,
      stream: frame.streamId,
      length: frame.length,
      flags: flagNames(frame.type, frame.flags),
    };
    if (type === 'UNKNOWN') record.typeCode = frame.type;
    const method = this.#streams.get(frame.streamId)?.method ?? this.#recentlyClosed.get(frame.streamId);
    if (method) record.method = method;
    if (frame.length > this.#maxFrameSize[dir]) record.oversized = { limit: this.#maxFrameSize[dir] };
    if (frame.payload.length < frame.length) {
      // Only the start was kept (lib/wire/frames.ts): too big to look into.
      record.error = `only the first ${frame.payload.length} of ${frame.length} B were kept; not decoded`;
      if (type === 'HEADERS' || type === 'CONTINUATION') this.#blocks[dir] = undefined;
      return record;
    }
    try {
      const problem = this.#decodePayload(dir, frame, record);
      if (problem) record.error = problem;
    } catch (error) {
      // A decoder bug must cost one frame's details, never the connection.
      record.error = `could not decode: ${error instanceof Error ? error.message : String(error)}`;
    }
    return record;
  }

  /** Fills `record` from the payload; returns what is wrong with the payload, if anything. */
  #decodePayload(dir: Direction, frame: Frame, record: FrameRecord): string | undefined {
    const { payload } = frame;
    switch (frame.type) {
      case FrameType.DATA: {
        const unpadded = unpad(frame);
        if ('error' in unpadded) return unpadded.error;
        if (unpadded.padding > 0) record.padding = unpadded.padding;
        this.#data(dir, frame, unpadded.body, record);
        return;
      }
      case FrameType.HEADERS: {
        const unpadded = unpad(frame);
        if ('error' in unpadded) return unpadded.error;
        if (unpadded.padding > 0) record.padding = unpadded.padding;
        let fragment = unpadded.body;
        if (frame.flags & Flag.PRIORITY) {
          if (fragment.length < 5) return 'PRIORITY flag, but fewer than 5 bytes';
          record.priority = readPriority(fragment);
          fragment = fragment.subarray(5);
        }
        this.#blocks[dir] = { stream: frame.streamId, fragments: [], length: 0, endStream: (frame.flags & Flag.END_STREAM) !== 0 };
        this.#headerFragment(dir, frame, fragment, record);
        return;
      }
      case FrameType.CONTINUATION: {
        const block = this.#blocks[dir];
        if (!block || block.stream !== frame.streamId) return 'CONTINUATION without a HEADERS frame before it';
        this.#headerFragment(dir, frame, payload, record);
        return;
      }
      case FrameType.PRIORITY:
        if (payload.length !== 5) return `PRIORITY must be 5 bytes, not ${payload.length}`;
        record.priority = readPriority(payload);
        return;
      case FrameType.RST_STREAM:
        if (payload.length !== 4) return `RST_STREAM must be 4 bytes, not ${payload.length}`;
        record.errorCode = errorCodeName(payload.readUInt32BE(0));
        this.#closeStream(frame.streamId);
        return;
      case FrameType.SETTINGS:
        return this.#settings(dir, payload, record);
      case FrameType.PUSH_PROMISE:
        // gRPC never pushes; shown, not decoded (it would also feed the HPACK table).
        if (payload.length >= 4) record.promisedStream = payload.readUInt32BE(0) & 0x7fff_ffff;
        return;
      case FrameType.PING:
        if (payload.length !== 8) return `PING must be 8 bytes, not ${payload.length}`;
        record.opaque = payload.toString('hex');
        return;
      case FrameType.GOAWAY:
        if (payload.length < 8) return `GOAWAY needs at least 8 bytes, has ${payload.length}`;
        record.lastStream = payload.readUInt32BE(0) & 0x7fff_ffff;
        record.errorCode = errorCodeName(payload.readUInt32BE(4));
        if (payload.length > 8) record.debug = printable(payload.subarray(8));
        return;
      case FrameType.WINDOW_UPDATE:
        if (payload.length !== 4) return `WINDOW_UPDATE must be 4 bytes, not ${payload.length}`;
        record.increment = payload.readUInt32BE(0) & 0x7fff_ffff;
        return;
      default:
        // RFC 9113, 5.5: unknown frame types are ignored by peers; shown as bytes here.
        record.hex = hexPreview(payload);
    }
  }

  #settings(dir: Direction, payload: Buffer, record: FrameRecord): string | undefined {
    if (payload.length % 6 !== 0) return `SETTINGS length ${payload.length} is not a multiple of 6`;
    const settings: Record<string, number> = {};
    for (let offset = 0; offset < payload.length; offset += 6) {
      const id = payload.readUInt16BE(offset);
      const value = payload.readUInt32BE(offset + 2);
      settings[settingName(id)] = value;
      // The sender's limit applies to what the other side sends it.
      if (id === 5) this.#maxFrameSize[dir === 'c2s' ? 's2c' : 'c2s'] = value;
    }
    if (payload.length > 0) record.settings = settings;
    return undefined;
  }

  #headerFragment(dir: Direction, frame: Frame, fragment: Buffer, record: FrameRecord): void {
    const block = this.#blocks[dir]!;
    block.length += fragment.length;
    if (block.length <= MAX_HEADER_BLOCK) block.fragments.push(fragment);
    if (!(frame.flags & Flag.END_HEADERS)) return;
    this.#blocks[dir] = undefined;
    if (block.length > MAX_HEADER_BLOCK) {
      record.error = `header block of ${block.length} B is too large to decode`;
      return;
    }
    const decoded = this.#hpack[dir].decode(Buffer.concat(block.fragments, block.length));
    record.headers = decoded.headers;
    record.hpack = { encodedLength: decoded.encodedLength, decodedLength: decoded.decodedLength };
    if (decoded.tableLost) record.hpack.tableLost = true;
    if (decoded.error) record.error = decoded.error;
    this.#headerBlock(dir, block, decoded.headers, record);
  }

  /** A whole header block of a stream: request, response headers or trailers. */
  #headerBlock(dir: Direction, block: PendingBlock, headers: HeaderField[], record: FrameRecord): void {
    const stream = this.#stream(block.stream);
    const value = (name: string) => headers.find((header) => header.name === name)?.value;
    const first = stream.headerBlocks[dir] === 0;
    stream.headerBlocks[dir] += 1;
    if (dir === 'c2s' && first) {
      const path = value(':path');
      if (path !== undefined) {
        stream.method = path;
        stream.types = this.#schema?.method(path);
        record.method = path;
      }
    }
    const encoding = value('grpc-encoding');
    if (encoding !== undefined) stream.encoding[dir] = encoding;
    record.headerRole =
      dir === 'c2s' ? (first ? 'request' : 'trailers') : first ? (block.endStream ? 'trailers-only' : 'response') : 'trailers';
    const code = value('grpc-status');
    if (code !== undefined && /^\d+$/.test(code)) {
      const message = value('grpc-message');
      record.status = { code: Number(code), name: grpc.status[Number(code)] ?? 'UNKNOWN_CODE' };
      if (message !== undefined) record.status.message = percentDecode(message);
    }
    if (block.endStream) this.#endDirection(dir, block.stream, record);
  }

  #data(dir: Direction, frame: Frame, body: Buffer, record: FrameRecord): void {
    const stream = this.#stream(frame.streamId);
    const split = stream.splitters[dir].push(body);
    // A frame of zeros is thousands of empty messages: decode and show the first few.
    const messages = split.messages.slice(0, MAX_MESSAGES_SHOWN).map((message) => this.#message(dir, stream, message));
    if (messages.length > 0) record.message = messages[0];
    if (messages.length > 1) record.messages = messages;
    if (split.messages.length > MAX_MESSAGES_SHOWN) record.messagesNotShown = split.messages.length - MAX_MESSAGES_SHOWN;
    if (split.partial) record.partial = split.partial;
    if (split.error) record.error = split.error;
    if (frame.flags & Flag.END_STREAM) this.#endDirection(dir, frame.streamId, record);
  }

  #message(dir: Direction, stream: StreamState, message: GrpcMessage): GrpcMessageRecord {
    const base = { compressed: message.compressed, length: message.length };
    if (!message.bytes) return { ...base, fields: [], note: `larger than ${MAX_KEPT_MESSAGE} B: not decoded` };
    const type = stream.types ? (dir === 'c2s' ? stream.types.request : stream.types.response) : undefined;
    let bytes: Buffer = message.bytes;
    if (message.compressed) {
      const encoding = stream.encoding[dir] ?? 'identity';
      try {
        if (encoding === 'gzip') bytes = gunzipSync(bytes, { maxOutputLength: MAX_KEPT_MESSAGE });
        else if (encoding === 'deflate') bytes = inflateSync(bytes, { maxOutputLength: MAX_KEPT_MESSAGE });
        else return { ...base, fields: [], hex: hexPreview(bytes), note: `compressed with "${encoding}": not decoded` };
      } catch (error) {
        return {
          ...base,
          fields: [],
          hex: hexPreview(bytes),
          error: `${encoding}: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
    }
    return { ...base, ...decodeMessage(bytes, type) };
  }

  #endDirection(dir: Direction, id: number, record: FrameRecord): void {
    const stream = this.#stream(id);
    const unfinished = stream.splitters[dir].unfinished();
    if (unfinished) record.error ??= unfinished;
    stream.ended[dir] = true;
    if (stream.ended.c2s && stream.ended.s2c) this.#closeStream(id);
  }

  #stream(id: number): StreamState {
    let stream = this.#streams.get(id);
    if (!stream) {
      stream = {
        encoding: {},
        splitters: { c2s: new GrpcMessageSplitter(), s2c: new GrpcMessageSplitter() },
        headerBlocks: { c2s: 0, s2c: 0 },
        ended: { c2s: false, s2c: false },
      };
      if (this.#recentlyClosed.has(id)) {
        // A frame that crossed the RST_STREAM closing its stream (e.g. the
        // server's DEADLINE_EXCEEDED after the client's CANCEL): decoded on
        // a throwaway state, not counted as a new stream.
        stream.method = this.#recentlyClosed.get(id);
        if (stream.method) stream.types = this.#schema?.method(stream.method);
        return stream;
      }
      this.#streams.set(id, stream);
      this.#streamCount += 1;
      if (this.#streamIds.length < MAX_LISTED_STREAMS) this.#streamIds.push(id);
      this.#maxConcurrentStreams = Math.max(this.#maxConcurrentStreams, this.#streams.size);
    }
    return stream;
  }

  #closeStream(id: number): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    this.#streams.delete(id);
    this.#recentlyClosed.set(id, stream.method);
    if (this.#recentlyClosed.size > RECENTLY_CLOSED) this.#recentlyClosed.delete(this.#recentlyClosed.keys().next().value!);
  }
}

function readPriority(bytes: Buffer): { dependsOn: number; exclusive: boolean; weight: number } {
  const word = bytes.readUInt32BE(0);
  return { dependsOn: word & 0x7fff_ffff, exclusive: (word & 0x8000_0000) !== 0, weight: bytes[4]! + 1 };
}

/** grpc-message is percent-encoded on the wire (gRPC over HTTP/2 spec). */
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Bytes as text for a person: printable ASCII kept, the rest escaped (\r, \n, \xNN). */
export function printable(bytes: Buffer): string {
  let text = '';
  for (const byte of bytes) {
    if (byte === 0x0d) text += '\\r';
    else if (byte === 0x0a) text += '\\n';
    else if (byte >= 0x20 && byte < 0x7f && byte !== 0x5c) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return text;
}
