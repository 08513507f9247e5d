// The one format of the logging interceptor's line, its writer and its parser
// (the grader reads the lines with it).
//
//   rpc method=/taskmanager.TaskManager/GetTask status=NOT_FOUND duration_ms=0.42 time=2026-11-24T20:05:47.123Z
//
// A line counts as an RPC log line when it contains `method=`. The fields are
// key=value pairs separated by spaces, in any order, with any other words around
// them; all four keys are required. See PHASES.md, Phase 4.
import * as grpc from '@grpc/grpc-js';

/**
 * The status of a call that ended before its request reached the handler and
 * without a status passing through the interceptor: grpc-js answered it itself
 * (a request over the size limit, bytes that are not protobuf) or the client
 * cancelled first. An interceptor cannot tell which, so it does not guess.
 */
export const UNSEEN = 'UNSEEN';

export interface RpcLogEntry {
  /** Full method path, e.g. /taskmanager.TaskManager/GetTask */
  method: string;
  /** Status code name, e.g. OK, NOT_FOUND, CANCELLED (or UNSEEN) */
  status: string;
  durationMs: number;
  /** ISO-8601 time the call started */
  time: string;
}

export interface RpcLogFields {
  method: string;
  status: grpc.status | typeof UNSEEN;
  durationMs: number;
  startedAt: Date;
}

export function formatRpcLogLine(entry: RpcLogFields): string {
  const status = entry.status === UNSEEN ? UNSEEN : (grpc.status[entry.status] ?? String(entry.status));
  return `rpc method=${entry.method} status=${status} duration_ms=${entry.durationMs.toFixed(2)} time=${entry.startedAt.toISOString()}`;
}

/**
 * grpc-js ends a call whose deadline passes with a timer, and a timer may fire a
 * little before Date.now() reaches the deadline: the event loop reads its clock
 * once per turn, so a busy turn makes it run behind. This much earlier still
 * counts as "the deadline passed".
 */
export const DEADLINE_TIMER_SLACK_MS = 50;

/** True when a call's deadline (call.getDeadline(): a Date, or milliseconds, Infinity for none) has passed. */
export function deadlineHasPassed(deadline: grpc.Deadline, now: number = Date.now()): boolean {
  return Number(deadline) - now <= DEADLINE_TIMER_SLACK_MS;
}

/** Where log lines are written (stdout); a test may point it elsewhere. */
export const rpcLogOutput = {
  write(text: string): void {
    process.stdout.write(text);
  },
};

let pending = '';

/**
 * Prints one RPC log line on stdout (what console.log(formatRpcLogLine(entry))
 * would print). Lines logged in the same turn of the event loop go out in one
 * write, so a busy server does not pay one system call per call.
 */
export function logRpc(entry: RpcLogFields): void {
  if (pending === '') setImmediate(flushRpcLog);
  pending += `${formatRpcLogLine(entry)}\n`;
}

/** Writes the lines logRpc is holding (at the end of each turn, and when the process exits). */
export function flushRpcLog(): void {
  if (pending === '') return;
  const text = pending;
  pending = '';
  rpcLogOutput.write(text);
}

process.on('exit', flushRpcLog);

export type ParsedLogLine = { ok: true; entry: RpcLogEntry } | { ok: false; problem: string };

/** undefined when the line is not an RPC log line at all (no `method=`). */
export function parseRpcLogLine(line: string): ParsedLogLine | undefined {
  const field = (key: string) => new RegExp(`(?:^|\\s)${key}=(\\S+)`).exec(line)?.[1];
  const method = field('method');
  if (method === undefined) return undefined;
  const status = field('status');
  const duration = field('duration_ms');
  const time = field('time');
  if (!method.startsWith('/'))
    return { ok: false, problem: `method=${method} is not a full method path like /taskmanager.TaskManager/GetTask` };
  if (status === undefined) return { ok: false, problem: 'no status=<CODE_NAME> field' };
  if ((!(status in grpc.status) || /^\d+$/.test(status)) && status !== UNSEEN)
    return { ok: false, problem: `status=${status} is not a status code name like OK or NOT_FOUND` };
  if (duration === undefined) return { ok: false, problem: 'no duration_ms=<milliseconds> field' };
  const durationMs = Number(duration);
  if (!Number.isFinite(durationMs) || durationMs < 0)
    return { ok: false, problem: `duration_ms=${duration} is not a number of milliseconds` };
  if (time === undefined) return { ok: false, problem: 'no time=<ISO-8601 timestamp> field' };
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(time) || Number.isNaN(Date.parse(time))) {
    return { ok: false, problem: `time=${time} is not an ISO-8601 timestamp like 2026-01-31T09:30:00.000Z` };
  }
  return { ok: true, entry: { method, status, durationMs, time } };
}
