// What the wire tool reports: one record per HTTP/2 frame, plus a few
// connection events. Records are plain JSON (no Buffers, no classes): `--jsonl`
// prints them as they are, and lib/wire/format.ts turns them into text.
import type { FrameTypeName } from './frames.ts';
import type { HeaderField } from './hpack.ts';
import type { DecodedMessage } from './protobuf.ts';

/** c2s: from the client to the server; s2c: back. */
export type Direction = 'c2s' | 's2c';

interface RecordBase {
  /** Milliseconds since the proxy started. */
  time: number;
  /** Connection number, from 1 in the order they were accepted. */
  conn: number;
}

export interface GrpcMessageRecord extends DecodedMessage {
  compressed: boolean;
  /** The message length the 5-byte gRPC prefix announces. */
  length: number;
  /** Why the bytes were not decoded (too large, compressed with an unknown encoding). */
  note?: string;
}

export interface FrameRecord extends RecordBase {
  dir: Direction;
  /** 'UNKNOWN' for a type RFC 9113 does not define (then `typeCode` says which). */
  type: FrameTypeName;
  typeCode?: number;
  stream: number;
  /** Payload length from the frame header. */
  length: number;
  flags: string[];
  /** The path of the call this stream carries, once its request headers were seen. */
  method?: string;

  /** HEADERS (or the CONTINUATION that ends a header block): the decoded header list. */
  headers?: HeaderField[];
  headerRole?: 'request' | 'response' | 'trailers' | 'trailers-only';
  /** Bytes of the header block on the wire against the names and values it stands for. */
  hpack?: { encodedLength: number; decodedLength: number; tableLost?: boolean };
  /** From the grpc-status and grpc-message trailers. */
  status?: { code: number; name: string; message?: string };

  /** DATA: the (first) gRPC message that ends in this frame. */
  message?: GrpcMessageRecord;
  /** DATA: every message that ends in this frame, when there is more than one (the first 16). */
  messages?: GrpcMessageRecord[];
  /** DATA: how many more messages ended in this frame, counted but not decoded. */
  messagesNotShown?: number;
  /** DATA: a message that began but has not ended yet. */
  partial?: { received: number; length: number };

  settings?: Record<string, number>;
  /** RST_STREAM and GOAWAY. */
  errorCode?: string;
  lastStream?: number;
  debug?: string;
  /** WINDOW_UPDATE. */
  increment?: number;
  /** PING: the 8 opaque bytes as hex. */
  opaque?: string;
  priority?: { dependsOn: number; exclusive: boolean; weight: number };
  promisedStream?: number;
  padding?: number;
  /** Longer than the receiver's SETTINGS_MAX_FRAME_SIZE: a protocol violation, shown, still forwarded. */
  oversized?: { limit: number };
  /** A payload that does not fit its frame type, or a message that does not decode. */
  error?: string;
  /** The payload of an unknown frame type, as hex (capped). */
  hex?: string;
}

export type EventRecord = RecordBase &
  (
    | { event: 'open'; client: string; target: string }
    | {
        event: 'close';
        bytes: Record<Direction, number>;
        frames: Record<Direction, number>;
        /** The ids of the streams this connection carried (the first 1000). */
        streams: number[];
        streamCount: number;
        /** The most streams open at the same moment: multiplexing at work. */
        maxConcurrentStreams: number;
      }
    | { event: 'not-http2'; dir: Direction; reason: string; preview: string }
    | { event: 'truncated'; dir: Direction; what: string; expected: number; received: number }
    | { event: 'error'; dir?: Direction; message: string }
  );

export type WireRecord = FrameRecord | EventRecord;

export function isFrame(record: WireRecord): record is FrameRecord {
  return 'type' in record;
}
