// h2load (Debian/Ubuntu: nghttp2-client; macOS: brew install nghttp2) as a load
// generator: the same jobs as the bench's own load, run by a neutral program.
//
// For gRPC it sends the request body from a file (a gRPC frame, see
// bench/requests.ts) with content-type application/grpc and te: trailers.
// h2load counts every HTTP 200 as a success, and gRPC errors travel as HTTP 200
// with a grpc-status trailer: callers check grpc-status separately
// (bench/wire.ts, exchangeOnce) before and after a run.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnCaptured } from '../lib/process.ts';
import type { LoadJob } from './closed-loop.ts';
import { exitedChildrenCpuMs } from './cpu.ts';
import type { LoadGenerator, LoadRun } from './load.ts';
import type { WireRequest } from './requests.ts';

/** The full path of `name` on PATH (with Windows' PATHEXT), or undefined. Looked up without a shell. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const extensions = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const folder of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const extension of extensions) {
      const candidate = path.join(folder, name + extension);
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

export interface H2loadSummary {
  elapsedMs: number;
  total: number;
  succeeded: number;
  failed: number;
  errored: number;
  timeout: number;
  /** HTTP status classes: 2xx, 3xx, 4xx, 5xx. */
  statusClasses: Record<'2xx' | '3xx' | '4xx' | '5xx', number>;
}

const UNIT_MS: Record<string, number> = { s: 1000, ms: 1, us: 0.001 };

/** Reads h2load's summary ("finished in …", "requests: …", "status codes: …"); undefined if it is not there. */
export function parseH2loadOutput(lines: readonly string[]): H2loadSummary | undefined {
  const text = lines.join('\n');
  const finished = /finished in ([\d.]+)(s|ms|us),/.exec(text);
  const requests = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(text);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(text);
  if (!finished || !requests || !codes) return undefined;
  const [total, succeeded, failed, errored, timeout] = requests.slice(1).map(Number) as [number, number, number, number, number];
  const [ok2, ok3, bad4, bad5] = codes.slice(1).map(Number) as [number, number, number, number];
  return {
    elapsedMs: Number(finished[1]) * UNIT_MS[finished[2]!]!,
    total,
    succeeded,
    failed,
    errored,
    timeout,
    statusClasses: { '2xx': ok2, '3xx': ok3, '4xx': bad4, '5xx': bad5 },
  };
}

/** The latencies (ms) of 2xx answers in h2load's --log-file (tab-separated: start µs, HTTP status, duration µs). */
export function parseH2loadLog(text: string): Float64Array {
  const latencies: number[] = [];
  for (const line of text.split('\n')) {
    const [, status, micros] = line.split('\t');
    if (status?.startsWith('2') && micros !== undefined) latencies.push(Number(micros) / 1000);
  }
  return Float64Array.from(latencies);
}

/** Shown to the reader as the command that was run: arguments with spaces or quotes are quoted. */
export function displayCommand(program: string, args: readonly string[]): string {
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);
  return [program, ...args].map(quote).join(' ');
}

/** h2load's arguments for a job; `bodyFile` holds the request body (if it has one), `logFile` receives per-request times. */
export function h2loadArgs(job: LoadJob, { bodyFile, logFile }: { bodyFile?: string; logFile?: string }): string[] {
  const { request } = job;
  const args: string[] = [];
  if (job.maxRequests !== undefined) args.push('-n', String(job.maxRequests));
  else args.push('-D', `${Math.max(1, Math.round(job.durationMs!))}ms`);
  if (request.protocol === 'rest') {
    // HTTP/1.1 carries one request at a time per connection: one caller per connection (no pipelining).
    args.push('--h1', '-c', String(job.connections), '-m', '1');
  } else {
    args.push('-c', String(job.connections), '-m', String(job.streamsPerConnection));
  }
  if (request.body && bodyFile) args.push('-d', bodyFile);
  for (const [name, value] of Object.entries(request.headers)) args.push('-H', `${name}: ${value}`);
  if (logFile) args.push(`--log-file=${logFile}`);
  const host = job.host.includes(':') ? `[${job.host}]` : job.host;
  args.push(`http://${host}:${job.port}${request.path}`);
  return args;
}

/** A generous bound on one h2load run: its own duration (or count) cannot make it run for ever if a server stalls. */
const RUN_GRACE_MS = 30_000;

export interface H2loadOptions {
  /** Keep the request bodies in this folder, so that the printed commands can be run again (default: a temporary folder). */
  bodyFolder?: string;
  /** Read each request's time from h2load's per-request log (default true); without it, no latencies. */
  latencies?: boolean;
}

/** h2load as a LoadGenerator. Its files go to a temporary folder, removed by close(). */
export async function startH2load(
  program: string,
  { bodyFolder, latencies: withLatencies = true }: H2loadOptions = {},
): Promise<LoadGenerator> {
  const version = await h2loadVersion(program);
  const folder = mkdtempSync(path.join(os.tmpdir(), 'taskmanager-bench-h2load-'));
  if (bodyFolder) mkdirSync(bodyFolder, { recursive: true });
  let runs = 0;
  return {
    kind: 'h2load',
    description: `h2load (${version})`,
    caveat:
      'h2load counts any HTTP 200 as a success, and gRPC errors are HTTP 200 too: grpc-status is checked with one call before and after each run.',
    async run(job) {
      if (job.connectionPerRequest) throw new Error('h2load keeps its connections open: run connection-per-request jobs with the own load');
      runs += 1;
      const bodyFile = path.join(bodyFolder ?? folder, bodyFileName(job.request));
      const logFile = withLatencies ? path.join(folder, `log-${runs}.tsv`) : undefined;
      if (job.request.body) writeFileSync(bodyFile, job.request.body);
      if (logFile) writeFileSync(logFile, ''); // h2load appends
      const args = h2loadArgs(job, { bodyFile, logFile });
      const cpuBefore = exitedChildrenCpuMs();
      const child = spawnCaptured(program, args);
      const timer = setTimeout(() => void child.stop(0), (job.durationMs ?? 0) + job.timeoutMs + RUN_GRACE_MS);
      const exitStatus = await child.exited;
      clearTimeout(timer);
      const cpuAfter = exitedChildrenCpuMs();
      const summary = parseH2loadOutput(child.output);
      if (!summary) {
        throw new Error(
          `h2load ended (${exitStatus}) without a summary: ${displayCommand(program, args)}\n${child.output.slice(-5).join('\n')}`,
        );
      }
      const latencies = logFile ? parseH2loadLog(readFileSync(logFile, 'utf8')) : new Float64Array();
      if (logFile) rmSync(logFile, { force: true });
      return {
        elapsedMs: summary.elapsedMs,
        ok: summary.statusClasses['2xx'],
        errors: h2loadErrors(summary),
        latencies,
        loadCpuMs: cpuBefore === undefined || cpuAfter === undefined ? null : cpuAfter - cpuBefore,
        loadThreads: 1,
        busiestThread: null,
        command: displayCommand('h2load', args),
      } satisfies LoadRun;
    },
    async close() {
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** "grpc-CreateTask.body", "rest-tasks.body": one file per kind of request, rewritten with the same bytes. */
function bodyFileName(request: WireRequest): string {
  const name = request.path.split('?')[0]!.split('/').filter(Boolean).at(-1) ?? 'root';
  return `${request.protocol}-${name.replace(/[^\w.-]/g, '_')}.body`;
}

/** What h2load did not count as 2xx, by kind. */
function h2loadErrors(summary: H2loadSummary): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const kind of ['3xx', '4xx', '5xx'] as const)
    if (summary.statusClasses[kind] > 0) errors[`HTTP ${kind}`] = summary.statusClasses[kind];
  const unanswered = summary.errored + summary.timeout;
  if (unanswered > 0) errors['no answer (h2load: errored or timed out)'] = unanswered;
  return errors;
}

async function h2loadVersion(program: string): Promise<string> {
  const child = spawnCaptured(program, ['--version']);
  const status = await child.exited;
  const version = child.output.find((line) => /nghttp2/.test(line))?.replace(/^h2load\s+/, '');
  if (status !== 0 || !version) throw new Error(`${program} --version did not answer like h2load`);
  return version;
}
