// A slow link between clients and a server: a TCP proxy that adds latency each
// way and caps the bandwidth, so that what 127.0.0.1 hides shows: request bytes,
// connection set-up and reuse, HTTP/2 multiplexing.
//
// The model, kept simple on purpose:
//   - each direction is one link shared by every connection through the proxy,
//     sending one piece (at most PIECE_BYTES) at a time at `bandwidthMbitPerSec`;
//   - a piece arrives `rttMs / 2` after it has been sent;
//   - a new connection carries no data for one round trip (TCP's handshake);
//   - no packet loss and no TLS (TLS 1.3 would add one more round trip); TCP's own
//     behaviour (acknowledgements, slow start) is not modelled: each side's TCP
//     talks to the proxy over 127.0.0.1.
// Bytes are forwarded unchanged and counted, so the bench can report the bytes per call.
//
// Run it alone, in front of any server:
//   node --import tsx/esm bench/slow-link.ts --to 127.0.0.1:50051 [--port 50061] [--rtt 20] [--bandwidth 10]
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { formatAddress, isEntryPoint } from '../lib/cli.ts';

export interface SlowLinkSettings {
  /** Added round-trip time in ms (half of it each way). */
  rttMs: number;
  /** The bandwidth cap of each direction, in Mbit/s. */
  bandwidthMbitPerSec: number;
}

export const DEFAULT_SLOW_LINK: SlowLinkSettings = { rttMs: 20, bandwidthMbitPerSec: 10 };

export interface SlowLinkStats {
  connections: number;
  /** Client → server. */
  bytesUp: number;
  /** Server → client. */
  bytesDown: number;
}

export interface SlowLink {
  host: string;
  port: number;
  settings: SlowLinkSettings;
  stats(): SlowLinkStats;
  resetStats(): void;
  /** Stops accepting and cuts every connection through it. */
  close(): Promise<void>;
}

/** The unit the link sends at once: small enough that a large answer arrives progressively. */
const PIECE_BYTES = 16 * 1024;
/** A connection that has this much waiting for the link stops reading its sender until it is below LOW_WATER. */
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;

/** One direction of the link, shared by all connections: when it is free to send the next piece. */
interface Link {
  freeAt: number;
  msPerByte: number;
  oneWayMs: number;
}

/**
 * One direction of one connection: what `from` sends, delivered to `to` in
 * order once the link has carried it, the end (FIN) included. `abort` is
 * called if `from` goes away without an end (a reset, a crash).
 */
function createLane(from: net.Socket, to: net.Socket, link: Link, notBefore: number, count: (bytes: number) => void, abort: () => void) {
  /** null: the end of the stream. */
  const queue: Array<{ at: number; piece: Buffer | null }> = [];
  let queuedBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let endSeen = false;

  const schedule = () => {
    if (!timer && queue.length > 0) timer = setTimeout(deliver, queue[0]!.at - performance.now());
  };
  function deliver(): void {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.at <= now + 0.5) {
      const { piece } = queue.shift()!;
      if (to.destroyed) continue;
      if (piece === null) to.end();
      else {
        queuedBytes -= piece.length;
        to.write(piece);
      }
    }
    if (from.isPaused() && queuedBytes < LOW_WATER_BYTES) from.resume();
    schedule();
  }
  /** When the link can start sending `bytes` more, and when they arrive. */
  const arrival = (bytes: number) => {
    const sendAt = Math.max(performance.now(), link.freeAt, notBefore);
    link.freeAt = sendAt + bytes * link.msPerByte;
    return link.freeAt + link.oneWayMs;
  };

  from.on('data', (chunk: Buffer) => {
    count(chunk.length);
    for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
      const piece = chunk.subarray(at, at + PIECE_BYTES);
      queue.push({ at: arrival(piece.length), piece });
      queuedBytes += piece.length;
    }
    if (queuedBytes > HIGH_WATER_BYTES) from.pause();
    schedule();
  });
  from.on('end', () => {
    endSeen = true;
    queue.push({ at: arrival(0), piece: null });
    schedule();
  });
  from.on('close', () => {
    if (!endSeen) abort();
  });
  return {
    stop() {
      clearTimeout(timer);
      queue.length = 0;
    },
  };
}

/** Starts the proxy in this process, in front of `target`. */
export async function startSlowLink(
  target: { host: string; port: number },
  settings: SlowLinkSettings,
  listen: { host: string; port: number } = { host: '127.0.0.1', port: 0 },
): Promise<SlowLink> {
  const msPerByte = 8 / (settings.bandwidthMbitPerSec * 1000); // 1 Mbit/s = 1,000 bits per ms
  const oneWayMs = settings.rttMs / 2;
  const up: Link = { freeAt: 0, msPerByte, oneWayMs };
  const down: Link = { freeAt: 0, msPerByte, oneWayMs };
  let stats: SlowLinkStats = { connections: 0, bytesUp: 0, bytesDown: 0 };
  const sockets = new Set<net.Socket>();

  // Half-open allowed on both sockets: an end (FIN) travels through the link
  // behind the data sent before it, instead of closing the connection at once.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    stats.connections += 1;
    const acceptedAt = performance.now();
    const upstream = net.connect({ port: target.port, host: target.host, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
    }
    // A side that fails, or goes away without an end, takes the other with it: a link carries one TCP connection.
    const teardown = () => {
      for (const lane of lanes) lane.stop();
      for (const socket of [client, upstream]) socket.destroy();
    };
    const lanes = [
      createLane(client, upstream, up, acceptedAt + settings.rttMs, (bytes) => (stats.bytesUp += bytes), teardown),
      createLane(upstream, client, down, 0, (bytes) => (stats.bytesDown += bytes), teardown),
    ];
    for (const socket of [client, upstream]) {
      socket.on('error', teardown);
      socket.on('close', () => sockets.delete(socket));
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    host: listen.host,
    port,
    settings,
    stats: () => ({ ...stats }),
    resetStats() {
      stats = { connections: 0, bytesUp: 0, bytesDown: 0 };
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A number option: at least `min`; throws a one-line message otherwise. */
export function numberOption(
  name: string,
  text: string | undefined,
  fallback: number,
  { min, integer = false }: { min: number; integer?: boolean },
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be ${integer ? 'a whole number' : 'a number'} of at least ${min}, got "${text}"`);
  }
  return value;
}

function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (!match) throw new Error(`--to must look like HOST:PORT, got "${text}"`);
  return { host: match[1] ?? match[2]!, port: numberOption('to', match[3], 0, { min: 1, integer: true }) };
}

async function main(): Promise<void> {
  let link: SlowLink;
  try {
    const { values } = parseArgs({
      options: {
        to: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        rtt: { type: 'string' },
        bandwidth: { type: 'string' },
      },
    });
    if (!values.to) throw new Error('--to HOST:PORT is required (the server to put behind the slow link)');
    const settings = {
      rttMs: numberOption('rtt', values.rtt, DEFAULT_SLOW_LINK.rttMs, { min: 0 }),
      bandwidthMbitPerSec: numberOption('bandwidth', values.bandwidth, DEFAULT_SLOW_LINK.bandwidthMbitPerSec, { min: 0.001 }),
    };
    const listen = { host: values.host ?? '127.0.0.1', port: numberOption('port', values.port, 50061, { min: 0, integer: true }) };
    link = await startSlowLink(parseHostPort(values.to), settings, listen);
    console.log(
      `slow link (${settings.rttMs} ms round trip, ${settings.bandwidthMbitPerSec} Mbit/s) to ${values.to} listening on ${formatAddress(link)}`,
    );
  } catch (error) {
    console.error(`slow-link: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
    return;
  }
  const stop = () => void link.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (isEntryPoint(import.meta.url)) await main();
