// gRPC over HTTP/2 puts its messages in the DATA frames of a stream, each with
// a 5-byte prefix: a compressed flag (0 or 1) and a 4-byte big-endian length.
// DATA frame boundaries mean nothing to gRPC: one message may span several
// frames and one frame may end one message and start the next, so each
// direction of each stream gets its own GrpcMessageSplitter.

export const MESSAGE_PREFIX_LENGTH = 5;

/** Messages up to this size are kept for decoding; longer ones are only measured as they pass. */
export const MAX_KEPT_MESSAGE = 4 * 1024 * 1024;

export interface GrpcMessage {
  compressed: boolean;
  /** The length the prefix announces. */
  length: number;
  /** The message bytes, or undefined when it was longer than MAX_KEPT_MESSAGE. */
  bytes: Buffer | undefined;
}

export interface SplitResult {
  /** The messages that ended in this piece of data, in order. */
  messages: GrpcMessage[];
  /** Bytes of a message begun but not yet ended, and its announced length. */
  partial?: { received: number; length: number };
  /** Set once the data stops looking like gRPC messages (a flag other than 0 or 1). */
  error?: string;
}

export class GrpcMessageSplitter {
  #prefix = Buffer.alloc(MESSAGE_PREFIX_LENGTH);
  #prefixFilled = 0;
  #current: { compressed: boolean; length: number; chunks: Buffer[] | undefined; received: number } | undefined;
  #broken: string | undefined;

  push(data: Buffer): SplitResult {
    const result: SplitResult = { messages: [] };
    if (this.#broken) return { ...result, error: this.#broken };
    let offset = 0;
    while (offset < data.length) {
      if (!this.#current) {
        const wanted = Math.min(MESSAGE_PREFIX_LENGTH - this.#prefixFilled, data.length - offset);
        data.copy(this.#prefix, this.#prefixFilled, offset, offset + wanted);
        this.#prefixFilled += wanted;
        offset += wanted;
        if (this.#prefixFilled < MESSAGE_PREFIX_LENGTH) break;
        this.#prefixFilled = 0;
        const flag = this.#prefix[0]!;
        if (flag > 1) {
          this.#broken = `not a gRPC message: the compressed flag is ${flag} (only 0 and 1 exist)`;
          return { ...result, error: this.#broken };
        }
        const length = this.#prefix.readUInt32BE(1);
        this.#current = { compressed: flag === 1, length, chunks: length <= MAX_KEPT_MESSAGE ? [] : undefined, received: 0 };
      }
      const current = this.#current;
      const take = Math.min(current.length - current.received, data.length - offset);
      // Copied: the frame buffer it came in is not kept alive by a message in progress.
      current.chunks?.push(Buffer.from(data.subarray(offset, offset + take)));
      current.received += take;
      offset += take;
      if (current.received === current.length) {
        result.messages.push({
          compressed: current.compressed,
          length: current.length,
          bytes: current.chunks ? Buffer.concat(current.chunks, current.length) : undefined,
        });
        this.#current = undefined;
      }
    }
    if (this.#current) result.partial = { received: this.#current.received, length: this.#current.length };
    else if (this.#prefixFilled > 0) result.partial = { received: 0, length: Number.NaN };
    return result;
  }

  /** Why the stream ended in the middle of a message, if it did. */
  unfinished(): string | undefined {
    if (this.#current)
      return `the stream ended ${this.#current.length - this.#current.received} B short of a ${this.#current.length} B message`;
    if (this.#prefixFilled > 0) return `the stream ended inside a message prefix (${this.#prefixFilled} of 5 B)`;
    return undefined;
  }
}

/** The bytes of one gRPC message on the wire: what a client or server writes into DATA frames. */
export function encodeGrpcMessage(message: Uint8Array, compressed = false): Buffer {
  const prefix = Buffer.alloc(MESSAGE_PREFIX_LENGTH);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}
