// HTTP/2 framing (RFC 9113, section 4): a byte stream cut into frames, each a
// 9-byte header (24-bit payload length, type, flags, 31-bit stream id) and a
// payload. FrameReader takes the bytes of one direction of a connection in
// whatever chunks TCP delivers and hands back whole frames; it never throws
// and never holds more than one frame (capped) in memory, whatever arrives.

export const FRAME_HEADER_LENGTH = 9;

/** What every client sends first (RFC 9113, 3.4); a server answers with a SETTINGS frame. */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** SETTINGS_MAX_FRAME_SIZE until a peer raises it: a longer frame breaks the protocol. */
export const DEFAULT_MAX_FRAME_SIZE = 16_384;

/**
 * The most payload bytes kept from one frame. A bigger frame is still parsed
 * and forwarded, but only its first bytes are looked at: a peer announcing a
 * 16 MiB frame must not make the observer buffer 16 MiB.
 */
export const MAX_KEPT_PAYLOAD = 1 << 20;

export const FRAME_TYPES = [
  'DATA',
  'HEADERS',
  'PRIORITY',
  'RST_STREAM',
  'SETTINGS',
  'PUSH_PROMISE',
  'PING',
  'GOAWAY',
  'WINDOW_UPDATE',
  'CONTINUATION',
] as const;
export type FrameTypeName = (typeof FRAME_TYPES)[number] | 'UNKNOWN';

export const FrameType = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const satisfies Record<(typeof FRAME_TYPES)[number], number>;

export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

/** Which flag bits mean something for each frame type (the same bit has different names). */
const FLAG_NAMES: Partial<Record<number, Array<[number, string]>>> = {
  [FrameType.DATA]: [
    [Flag.END_STREAM, 'END_STREAM'],
    [Flag.PADDED, 'PADDED'],
  ],
  [FrameType.HEADERS]: [
    [Flag.END_STREAM, 'END_STREAM'],
    [Flag.END_HEADERS, 'END_HEADERS'],
    [Flag.PADDED, 'PADDED'],
    [Flag.PRIORITY, 'PRIORITY'],
  ],
  [FrameType.SETTINGS]: [[Flag.ACK, 'ACK']],
  [FrameType.PING]: [[Flag.ACK, 'ACK']],
  [FrameType.PUSH_PROMISE]: [
    [Flag.END_HEADERS, 'END_HEADERS'],
    [Flag.PADDED, 'PADDED'],
  ],
  [FrameType.CONTINUATION]: [[Flag.END_HEADERS, 'END_HEADERS']],
};

export const ERROR_CODES = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
];

const SETTING_NAMES: Record<number, string> = {
  1: 'HEADER_TABLE_SIZE',
  2: 'ENABLE_PUSH',
  3: 'MAX_CONCURRENT_STREAMS',
  4: 'INITIAL_WINDOW_SIZE',
  5: 'MAX_FRAME_SIZE',
  6: 'MAX_HEADER_LIST_SIZE',
  8: 'ENABLE_CONNECT_PROTOCOL',
  9: 'NO_RFC7540_PRIORITIES',
};

export function frameTypeName(type: number): FrameTypeName {
  return FRAME_TYPES[type] ?? 'UNKNOWN';
}

/** The names of the flags set, e.g. ['END_STREAM', 'END_HEADERS']; unnamed bits as hex. */
export function flagNames(type: number, flags: number): string[] {
  const names: string[] = [];
  let rest = flags;
  for (const [bit, name] of FLAG_NAMES[type] ?? []) {
    if (flags & bit) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) names.push(`0x${rest.toString(16).padStart(2, '0')}`);
  return names;
}

export function errorCodeName(code: number): string {
  return ERROR_CODES[code] ?? `0x${code.toString(16)}`;
}

export function settingName(id: number): string {
  return SETTING_NAMES[id] ?? `0x${id.toString(16)}`;
}

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  /** The length the frame header announces. */
  length: number;
  /** The payload, or its first MAX_KEPT_PAYLOAD bytes when `length` is larger. */
  payload: Buffer;
}

export type ReaderEvent =
  | { kind: 'preface' }
  | { kind: 'frame'; frame: Frame }
  /** The bytes are not HTTP/2: from now on they are only counted. */
  | { kind: 'not-http2'; reason: string; preview: Buffer };

export interface ReaderEnd {
  /** Bytes of a frame (or preface) that had begun but not ended when the stream closed. */
  incomplete?: { expected: number; received: number; what: string };
}

/**
 * Cuts one direction of an HTTP/2 connection into frames, chunk by chunk.
 * `expectPreface` is true for the client's direction (it starts with the
 * 24-byte preface); the server's direction must start with a SETTINGS frame.
 */
export class FrameReader {
  #pending: Buffer[] = [];
  #pendingLength = 0;
  #state: 'preface' | 'first-frame' | 'frames' | 'passthrough';
  /** While the payload of an oversized frame is skipped: the frame so far and the bytes still to skip. */
  #skipping: { frame: Frame; remaining: number } | undefined;

  constructor(expectPreface: boolean) {
    this.#state = expectPreface ? 'preface' : 'first-frame';
  }

  /** True once the bytes turned out not to be HTTP/2. */
  get passthrough(): boolean {
    return this.#state === 'passthrough';
  }

  push(chunk: Buffer): ReaderEvent[] {
    if (this.#state === 'passthrough') return [];
    const events: ReaderEvent[] = [];
    let data = chunk;
    if (this.#skipping) {
      const skipped = Math.min(this.#skipping.remaining, data.length);
      this.#skipping.remaining -= skipped;
      data = data.subarray(skipped);
      if (this.#skipping.remaining > 0) return events;
      events.push({ kind: 'frame', frame: this.#skipping.frame });
      this.#skipping = undefined;
    }
    this.#append(data);
    for (;;) {
      const event = this.#next();
      if (event === undefined) break;
      events.push(event);
      if (event.kind === 'not-http2' || this.#skipping) break;
    }
    return events;
  }

  /** The direction has closed: says whether a frame was cut short. */
  end(): ReaderEnd {
    if (this.#skipping) {
      const { frame, remaining } = this.#skipping;
      return {
        incomplete: { expected: frame.length, received: frame.length - remaining, what: `${frameTypeName(frame.type)} frame payload` },
      };
    }
    if (this.#pendingLength === 0 || this.#state === 'passthrough') return {};
    if (this.#state === 'preface') {
      return { incomplete: { expected: CLIENT_PREFACE.length, received: this.#pendingLength, what: 'connection preface' } };
    }
    const header = this.#peek(FRAME_HEADER_LENGTH);
    if (header.length < FRAME_HEADER_LENGTH) {
      return { incomplete: { expected: FRAME_HEADER_LENGTH, received: header.length, what: 'frame header' } };
    }
    const length = header.readUIntBE(0, 3);
    return {
      incomplete: {
        expected: length,
        received: this.#pendingLength - FRAME_HEADER_LENGTH,
        what: `${frameTypeName(header[3]!)} frame payload`,
      },
    };
  }

  #next(): ReaderEvent | undefined {
    if (this.#state === 'preface') {
      const head = this.#peek(CLIENT_PREFACE.length);
      if (!CLIENT_PREFACE.subarray(0, head.length).equals(head)) {
        return this.#giveUp('the client did not start with the HTTP/2 connection preface');
      }
      if (head.length < CLIENT_PREFACE.length) return undefined;
      this.#consume(CLIENT_PREFACE.length);
      this.#state = 'first-frame';
      return { kind: 'preface' };
    }
    if (this.#pendingLength < FRAME_HEADER_LENGTH) return undefined;
    const header = this.#peek(FRAME_HEADER_LENGTH);
    const length = header.readUIntBE(0, 3);
    const type = header[3]!;
    const flags = header[4]!;
    const streamId = header.readUInt32BE(5) & 0x7fff_ffff; // the top bit is reserved
    if (this.#state === 'first-frame') {
      // RFC 9113, 3.4: both sides open with SETTINGS. Anything else (an HTTP/1.1
      // answer, TLS, random bytes) is not HTTP/2 and is not worth cutting into frames.
      if (type !== FrameType.SETTINGS || streamId !== 0) return this.#giveUp('the first frame is not SETTINGS');
      this.#state = 'frames';
    }
    if (length > MAX_KEPT_PAYLOAD) {
      const kept = Math.min(this.#pendingLength - FRAME_HEADER_LENGTH, MAX_KEPT_PAYLOAD);
      if (kept < MAX_KEPT_PAYLOAD) return undefined;
      this.#consume(FRAME_HEADER_LENGTH);
      const payload = this.#take(kept);
      const frame = { type, flags, streamId, length, payload };
      // What is already buffered beyond the kept part belongs to this frame too.
      const alreadyHere = Math.min(this.#pendingLength, length - kept);
      this.#consume(alreadyHere);
      const remaining = length - kept - alreadyHere;
      if (remaining === 0) return { kind: 'frame', frame };
      this.#skipping = { frame, remaining };
      return undefined;
    }
    if (this.#pendingLength < FRAME_HEADER_LENGTH + length) return undefined;
    this.#consume(FRAME_HEADER_LENGTH);
    return { kind: 'frame', frame: { type, flags, streamId, length, payload: this.#take(length) } };
  }

  #giveUp(reason: string): ReaderEvent {
    const preview = Buffer.from(this.#peek(64));
    this.#pending = [];
    this.#pendingLength = 0;
    this.#state = 'passthrough';
    return { kind: 'not-http2', reason, preview };
  }

  #append(data: Buffer): void {
    if (data.length === 0) return;
    this.#pending.push(data);
    this.#pendingLength += data.length;
  }

  /** Up to `count` bytes from the front, without consuming them. */
  #peek(count: number): Buffer {
    const first = this.#pending[0];
    if (first && first.length >= count) return first.subarray(0, count);
    const joined = Buffer.concat(this.#pending, this.#pendingLength);
    this.#pending = joined.length > 0 ? [joined] : [];
    return joined.subarray(0, count);
  }

  #take(count: number): Buffer {
    // Copied, so a kept frame does not pin the (possibly large) chunk it came in.
    const bytes = Buffer.from(this.#peek(count));
    this.#consume(count);
    return bytes;
  }

  #consume(count: number): void {
    let left = count;
    while (left > 0) {
      const first = this.#pending[0]!;
      if (first.length <= left) {
        this.#pending.shift();
        left -= first.length;
      } else {
        this.#pending[0] = first.subarray(left);
        left = 0;
      }
    }
    this.#pendingLength -= count;
  }
}

/** A frame's payload with its padding removed (RFC 9113, 6.1 and 6.2), or why it cannot be. */
export function unpad(frame: Frame): { body: Buffer; padding: number } | { error: string } {
  if (!(frame.flags & Flag.PADDED)) return { body: frame.payload, padding: 0 };
  if (frame.payload.length < 1) return { error: 'PADDED, but no pad length byte' };
  const padding = frame.payload[0]!;
  if (padding >= frame.payload.length)
    return { error: `pad length ${padding} is not shorter than the payload (${frame.payload.length} B)` };
  return { body: frame.payload.subarray(1, frame.payload.length - padding), padding };
}

/** Builds a frame's bytes: for tests and for tools that want to send odd frames on purpose. */
export function encodeFrame(type: number, flags: number, streamId: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_LENGTH);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId & 0x7fff_ffff, 5);
  return Buffer.concat([header, payload]);
}
