// One request, one answer, on Node's own HTTP clients (node:http2 for gRPC,
// node:http for REST), with the prepared bytes of bench/requests.ts. The load
// threads call these in a loop; the checks before and after a measurement call
// them once and look at the answer. They never throw: the outcome says what happened.
//
// These clients read only the status (grpc-status, the HTTP status), as h2load
// does: no framework and no decoding in the loop, so the servers, not the
// clients, are what the bench measures.
import http from 'node:http';
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import type { WireRequest } from './requests.ts';

/** OK, or the kind of failure: a gRPC status name ("NOT_FOUND"), "HTTP 404", "ECONNRESET", "TIMEOUT"... */
export type Outcome = { ok: true; body?: Buffer } | { ok: false; error: string };

export interface ExchangeOptions {
  timeoutMs: number;
  /** Collect the answer's body (for a check); the load loop discards it. */
  keepBody?: boolean;
}

export const errorKind = (error: Error): string => (error as NodeJS.ErrnoException).code ?? error.message;
const grpcStatusName = (code: string) => grpc.status[Number(code)] ?? `grpc-status ${code}`;

/** An HTTP/2 connection for gRPC calls; resolves once connected, rejects if it cannot connect. */
export function connectGrpc(host: string, port: number, timeoutMs: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    // Node turns Nagle's algorithm off on every HTTP/2 session (and http.Agent on its sockets), as
    // grpc-js's client and h2load do on theirs: a small write never waits for an earlier one's ACK.
    const session = http2.connect(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no HTTP/2 connection to ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    session.once('connect', () => {
      clearTimeout(timer);
      resolve(session);
    });
    // Before 'connect' this rejects; later, each call on the session reports the failure itself.
    session.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** One gRPC call on `session`: OK when the answer is HTTP 200 with grpc-status 0. */
export function grpcExchange(
  session: http2.ClientHttp2Session,
  request: WireRequest,
  { timeoutMs, keepBody }: ExchangeOptions,
): Promise<Outcome> {
  return new Promise((resolve) => {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({ ':method': request.method, ':path': request.path, ...request.headers });
    } catch (error) {
      resolve({ ok: false, error: errorKind(error as Error) });
      return;
    }
    let httpStatus: number | undefined;
    let grpcStatus: string | undefined;
    const chunks: Buffer[] = [];
    let failure: string | undefined;
    stream.on('response', (headers) => {
      httpStatus = Number(headers[':status']);
      // A "trailers-only" answer (an error before any message) has its status in the headers.
      if (headers['grpc-status'] !== undefined) grpcStatus = String(headers['grpc-status']);
    });
    stream.on('trailers', (trailers) => {
      if (trailers['grpc-status'] !== undefined) grpcStatus = String(trailers['grpc-status']);
    });
    stream.on('data', (chunk: Buffer) => {
      if (keepBody) chunks.push(chunk);
    });
    stream.on('error', (error) => (failure ??= errorKind(error)));
    stream.setTimeout(timeoutMs, () => {
      failure ??= 'TIMEOUT';
      stream.close(http2.constants.NGHTTP2_CANCEL);
    });
    stream.on('close', () => {
      if (failure !== undefined) resolve({ ok: false, error: failure });
      else if (httpStatus !== 200) resolve({ ok: false, error: `HTTP ${httpStatus ?? 'no answer'}` });
      else if (grpcStatus === undefined) resolve({ ok: false, error: 'no grpc-status' });
      else if (grpcStatus !== '0') resolve({ ok: false, error: grpcStatusName(grpcStatus) });
      else resolve(keepBody ? { ok: true, body: Buffer.concat(chunks) } : { ok: true });
    });
    stream.end(request.body ?? undefined);
  });
}

export interface RestEndpoint {
  host: string;
  port: number;
  /** A keep-alive agent reuses connections; false opens a new connection for this request. */
  agent: http.Agent | false;
}

/** One REST call: OK when the HTTP status is 2xx. */
export function restExchange(
  { host, port, agent }: RestEndpoint,
  request: WireRequest,
  { timeoutMs, keepBody }: ExchangeOptions,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = { ...request.headers };
    if (request.body) headers['content-length'] = request.body.byteLength;
    const exchange = http.request({ host, port, agent, method: request.method, path: request.path, headers }, (response) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => {
        if (keepBody) chunks.push(chunk);
      });
      response.on('end', () => {
        if (status < 200 || status > 299) resolve({ ok: false, error: `HTTP ${status}` });
        else resolve(keepBody ? { ok: true, body: Buffer.concat(chunks) } : { ok: true });
      });
      response.on('error', (error) => resolve({ ok: false, error: errorKind(error) }));
    });
    exchange.setTimeout(timeoutMs, () => exchange.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })));
    exchange.on('error', (error) => resolve({ ok: false, error: errorKind(error) }));
    exchange.end(request.body ?? undefined);
  });
}

/** One call of either protocol on a fresh connection, closed afterwards: for checks, not for load. */
export async function exchangeOnce(host: string, port: number, request: WireRequest, options: ExchangeOptions): Promise<Outcome> {
  if (request.protocol === 'rest') return restExchange({ host, port, agent: false }, request, options);
  let session: http2.ClientHttp2Session;
  try {
    session = await connectGrpc(host, port, options.timeoutMs);
  } catch (error) {
    return { ok: false, error: errorKind(error as Error) };
  }
  try {
    return await grpcExchange(session, request, options);
  } finally {
    session.close();
  }
}
