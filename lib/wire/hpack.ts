// HPACK (RFC 7541): the header compression of HTTP/2. Each direction of a
// connection has its own dynamic table, filled by the sender as it goes, so a
// header sent once (":path /taskmanager.TaskManager/GetTask") costs one byte
// the next time. Decoding therefore needs every header block of that
// direction, in order: one HeaderBlockDecoder per direction.
//
// The decoding itself is hpack.js (npm): the de facto JavaScript HPACK (the
// spdy stack of webpack-dev-server), small, checked here against the RFC's
// examples (test/wire-decode.test.ts) and against Node's own HTTP/2, nghttp2,
// both ways (test/wire-proxy.test.ts). Why it and not another: the commit
// that added it.
// It is used through this file only, synchronously, and never trusted not to throw.
import hpack from 'hpack.js';

/** SETTINGS_HEADER_TABLE_SIZE until a peer says otherwise (RFC 9113, 6.5.2). */
export const DEFAULT_HEADER_TABLE_SIZE = 4096;

/**
 * hpack.js refuses a Dynamic Table Size Update above the maximum it was created
 * with. An observer should not police that (the peers do), so its maximum is
 * the largest size SETTINGS can carry and the table starts at the real default.
 */
const LARGEST_TABLE_SIZE = 0xffff_ffff;

export interface HeaderField {
  name: string;
  value: string;
}

export interface DecodedBlock {
  headers: HeaderField[];
  /** Size of the block on the wire. */
  encodedLength: number;
  /** Size of the names and values it stands for. */
  decodedLength: number;
  /** Why decoding stopped (the headers before it are kept). */
  error?: string;
  /** An earlier block failed, so the dynamic table may be wrong: names and values may be too. */
  tableLost?: boolean;
}

export class HeaderBlockDecoder {
  #decompressor = this.#createDecompressor();
  #failure: Error | undefined;
  #tableLost = false;

  decode(block: Buffer): DecodedBlock {
    const headers: HeaderField[] = [];
    let error: string | undefined;
    try {
      this.#failure = undefined;
      this.#decompressor.write(block);
      this.#decompressor.execute();
      for (let field = this.#decompressor.read(); field !== null; field = this.#decompressor.read()) {
        headers.push({ name: field.name, value: field.value });
      }
      if (this.#failure) throw this.#failure;
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    }
    const decoded: DecodedBlock = {
      headers,
      encodedLength: block.length,
      decodedLength: headers.reduce((sum, { name, value }) => sum + name.length + value.length, 0),
    };
    if (this.#tableLost) decoded.tableLost = true;
    if (error !== undefined) {
      decoded.error = `HPACK: ${error}`;
      // The peers would now close the connection (COMPRESSION_ERROR). If they
      // do not, start over with an empty table and say that it may be wrong.
      this.#decompressor = this.#createDecompressor();
      this.#tableLost = true;
    }
    return decoded;
  }

  #createDecompressor() {
    const decompressor = hpack.decompressor.create({ table: { maxSize: LARGEST_TABLE_SIZE } });
    decompressor.updateTableSize(DEFAULT_HEADER_TABLE_SIZE);
    // Without a callback, execute() reports a failure as an 'error' event, synchronously.
    decompressor.on('error', (error) => {
      this.#failure = error;
    });
    return decompressor;
  }
}
