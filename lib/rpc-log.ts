// The one format of the logging interceptor's line, and its parser (used by the checker).
//
//   rpc method=/taskmanager.TaskManager/GetTask status=NOT_FOUND duration_ms=0.42 time=2026-11-24T20:05:47.123Z
//
// A line counts as an RPC log line when it contains `method=`. The fields are
// key=value pairs separated by spaces, in any order, with any other words around
// them; all four keys are required. See PHASES.md, Phase 4.
import * as grpc from '@grpc/grpc-js';

export interface RpcLogEntry {
  /** Full method path, e.g. /taskmanager.TaskManager/GetTask */
  method: string;
  /** Status code name, e.g. OK, NOT_FOUND, CANCELLED */
  status: string;
  durationMs: number;
  /** ISO-8601 time the call started */
  time: string;
}

export function formatRpcLogLine(entry: { method: string; status: grpc.status; durationMs: number; startedAt: Date }): string {
  const status = grpc.status[entry.status] ?? String(entry.status);
  return `rpc method=${entry.method} status=${status} duration_ms=${entry.durationMs.toFixed(2)} time=${entry.startedAt.toISOString()}`;
}

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
  if (!(status in grpc.status) || /^\d+$/.test(status))
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
