// A transparent TCP proxy that shows what passes. Every byte is forwarded
// unchanged, in both directions, whatever it is; a copy of each chunk goes to
// a ConnectionDecoder, and whatever the decoder makes of it (or fails to) never
// touches the forwarding. Flow control is TCP's own: when one side reads
// slowly, the proxy stops reading from the other (pause until 'drain'), so it
// holds at most about one socket buffer per direction, never an unbounded queue.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ConnectionDecoder } from './connection.ts';
import type { ProtoSchema } from './protobuf.ts';
import type { Direction, WireRecord } from './records.ts';

export interface WireProxyOptions {
  listen: { host: string; port: number };
  target: { host: string; port: number };
  /** Called with each record, in order; it must not throw (a throw is caught and dropped). */
  onRecord(record: WireRecord): void;
  schema?: ProtoSchema;
}

export interface WireProxy {
  /** The port the proxy listens on (the real one when 0 was asked for). */
  port: number;
  host: string;
  /** Stops reading from every socket (e.g. while the records' reader catches up). */
  pause(): void;
  resume(): void;
  /** Live connections now. */
  readonly connections: number;
  /** Bytes the proxy holds for sockets that have not taken them yet, summed over all connections. */
  bufferedBytes(): number;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
  /** Resolves once no connection is left (or after timeoutMs). */
  idle(timeoutMs: number): Promise<boolean>;
}

interface Link {
  client: net.Socket;
  upstream: net.Socket;
  /** A direction is held while its destination has not drained. */
  held: Record<Direction, boolean>;
}

export function startWireProxy(options: WireProxyOptions): Promise<WireProxy> {
  const started = performance.now();
  const now = () => Math.round((performance.now() - started) * 10) / 10;
  const links = new Set<Link>();
  const idleWaiters = new Set<() => void>();
  let paused = false;
  let nextConn = 1;

  const emit = (record: WireRecord) => {
    try {
      options.onRecord(record);
    } catch {
      // The display failing must not stop the bytes.
    }
  };

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const conn = nextConn++;
    let decoder: ConnectionDecoder | undefined = new ConnectionDecoder(conn, options.schema);
    const upstream = net.connect({ host: options.target.host, port: options.target.port, allowHalfOpen: true, noDelay: true });
    const link: Link = { client, upstream, held: { c2s: false, s2c: false } };
    links.add(link);
    emit({
      time: now(),
      conn,
      event: 'open',
      client: `${client.remoteAddress}:${client.remotePort}`,
      target: `${options.target.host}:${options.target.port}`,
    });

    const observe = (dir: Direction, chunk: Buffer) => {
      if (!decoder) return;
      try {
        for (const record of decoder.push(dir, chunk, now())) emit(record);
      } catch (error) {
        // A decoder bug: stop looking at this connection, keep forwarding it.
        emit({ time: now(), conn, event: 'error', dir, message: `decoding stopped: ${error instanceof Error ? error.message : error}` });
        decoder = undefined;
      }
    };
    const flowing = (dir: Direction) => !paused && !link.held[dir];
    const forward = (dir: Direction, from: net.Socket, to: net.Socket) => {
      from.on('data', (chunk: Buffer) => {
        observe(dir, chunk);
        if (!to.write(chunk)) {
          link.held[dir] = true;
          from.pause();
        }
      });
      to.on('drain', () => {
        link.held[dir] = false;
        if (flowing(dir)) from.resume();
      });
      from.on('end', () => {
        if (decoder) for (const record of decoder.end(dir, now())) emit(record);
        to.end();
      });
    };
    forward('c2s', client, upstream);
    forward('s2c', upstream, client);

    // A reset or a vanished peer ends both sides: the other peer sees it as the
    // same kind of ending (a reset is passed on as a reset), as if directly connected.
    const fail = (dir: Direction, other: net.Socket) => (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'ECONNREFUSED' || error.code === 'ENOTFOUND' || error.code === 'EHOSTUNREACH'
          ? `cannot reach ${options.target.host}:${options.target.port}: ${error.code}`
          : `${dir === 'c2s' ? 'client' : 'server'} ${error.code ?? error.message}`;
      emit({ time: now(), conn, event: 'error', dir, message });
      if (!other.destroyed) other.resetAndDestroy();
    };
    client.on('error', fail('c2s', upstream));
    upstream.on('error', fail('s2c', client));

    let closed = 0;
    const onClose = () => {
      closed += 1;
      if (closed < 2) return;
      if (decoder) emit(decoder.summary(now()));
      links.delete(link);
      if (links.size === 0) for (const waiter of idleWaiters) waiter();
    };
    client.on('close', onClose);
    upstream.on('close', onClose);
  });

  const proxy: WireProxy = {
    port: 0,
    host: options.listen.host,
    pause() {
      paused = true;
      for (const { client, upstream } of links) {
        client.pause();
        upstream.pause();
      }
    },
    resume() {
      paused = false;
      for (const { client, upstream, held } of links) {
        if (!held.c2s) client.resume();
        if (!held.s2c) upstream.resume();
      }
    },
    get connections() {
      return links.size;
    },
    bufferedBytes() {
      let total = 0;
      for (const { client, upstream } of links) total += client.writableLength + upstream.writableLength;
      return total;
    },
    close() {
      for (const { client, upstream } of links) {
        client.destroy();
        upstream.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
    idle(timeoutMs) {
      if (links.size === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (result: boolean) => {
          clearTimeout(timer);
          idleWaiters.delete(onIdle);
          resolve(result);
        };
        const onIdle = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        idleWaiters.add(onIdle);
      });
    },
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off('error', reject);
      proxy.port = (server.address() as net.AddressInfo).port;
      resolve(proxy);
    });
  });
}
