// What `npm run bench` and `npm run bench -- --ceiling` share: choosing the
// load generator, one measured run (the load's figures plus the server's and
// the machine's CPU time), which side was the limit, and the check that a
// server really answers OK (h2load cannot see gRPC errors).
import os from 'node:os';
import type { LoadJob } from './closed-loop.ts';
import { type CpuSample, startCpuMeter } from './cpu.ts';
import { findOnPath, type H2loadOptions, startH2load } from './h2load.ts';
import { type LoadGenerator, type LoadRun, startOwnLoad } from './load.ts';
import { taskIdOfAnswer, type WireRequest } from './requests.ts';
import type { CpuFigures, Limit } from './results.ts';
import { round } from './stats.ts';
import { exchangeOnce } from './wire.ts';

export type LoadChoice = 'auto' | 'h2load' | 'own';
export const LOAD_CHOICES: readonly LoadChoice[] = ['auto', 'h2load', 'own'];

export const H2LOAD_INSTALL_HINT = 'Debian/Ubuntu: apt-get install nghttp2-client; macOS: brew install nghttp2';

export interface ChosenLoad {
  /** What drives the measured unary calls. */
  unary: LoadGenerator;
  /** Why: shown in the report. */
  choice: string;
  /** The bench's own load, when it was started (it may be `unary` itself). */
  own?: LoadGenerator;
  close(): Promise<void>;
}

/** A one-line problem with the user's choice or machine: shown as is, no stack trace. */
export class SetupError extends Error {}

/**
 * h2load where it is installed (or asked for), else the bench's own load in
 * `threads` threads. `needOwn` starts the own load as well (the slow link needs it).
 * `h2load` tunes h2load, if it is used.
 */
export async function chooseLoad(
  choice: LoadChoice,
  threads: number,
  { needOwn, h2load: h2loadOptions }: { needOwn: boolean; h2load?: H2loadOptions },
): Promise<ChosenLoad> {
  const h2loadPath = choice === 'own' ? undefined : findOnPath('h2load');
  if (choice === 'h2load' && !h2loadPath) throw new SetupError(`--load h2load: h2load is not on PATH (${H2LOAD_INSTALL_HINT})`);
  const [h2load, own] = await startTogether(
    h2loadPath ? startH2load(h2loadPath, h2loadOptions) : Promise.resolve(undefined),
    needOwn || !h2loadPath ? startOwnLoad(threads) : Promise.resolve(undefined),
  );
  const unary = (h2load ?? own)!;
  const reason =
    choice === 'own' ? 'asked for with --load own' : h2load ? `found at ${h2loadPath}` : `h2load is not installed (${H2LOAD_INSTALL_HINT})`;
  return {
    unary,
    own,
    choice: `${unary.description}: ${reason}`,
    async close() {
      await Promise.all([h2load?.close(), own?.close()]);
    },
  };
}

/** Something started that must be stopped: servers, a load generator. */
interface Stoppable {
  stopAll?: () => Promise<void>;
  close?: () => Promise<void>;
}

/**
 * Starts two things side by side; if one fails, the other is stopped before
 * the failure is passed on, so nothing is left running.
 */
export async function startTogether<A extends Stoppable | undefined, B extends Stoppable | undefined>(
  a: Promise<A>,
  b: Promise<B>,
): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === 'fulfilled' && second.status === 'fulfilled') return [first.value, second.value];
  const stop = (started: Stoppable | undefined) => started?.stopAll?.() ?? started?.close?.();
  await Promise.all([first, second].map((result) => (result.status === 'fulfilled' ? stop(result.value) : undefined)));
  throw (first.status === 'rejected' ? first.reason : (second as PromiseRejectedResult).reason) as Error;
}

export interface Measured {
  run: LoadRun;
  cpu: CpuSample;
  throughputPerSec: number;
  figures: CpuFigures;
  limit: Limit;
}

/** Runs one job and reads the CPU time the server, the load and the machine used meanwhile. */
export async function measure(generator: LoadGenerator, job: LoadJob, serverPid: number | undefined): Promise<Measured> {
  const meter = startCpuMeter(serverPid);
  const run = await generator.run(job);
  const cpu = meter.stop();
  const figures = cpuFigures({ wallMs: cpu.wallMs, serverMs: cpu.serverMs, loadMs: run.loadCpuMs, machineMs: cpu.machineMs, ok: run.ok });
  return {
    run,
    cpu,
    throughputPerSec: run.elapsedMs > 0 ? (run.ok * 1000) / run.elapsedMs : 0,
    figures,
    limit: limitOf(figures, run),
  };
}

/** CPU times over a wall time → percentages of one core and µs per OK call. */
export function cpuFigures({
  wallMs,
  serverMs,
  loadMs,
  machineMs,
  ok,
}: {
  wallMs: number;
  serverMs: number | null;
  loadMs: number | null;
  machineMs: number | null;
  ok: number;
}): CpuFigures {
  const percent = (ms: number | null) => (ms === null || wallMs <= 0 ? null : round((ms / wallMs) * 100));
  const perCall = (ms: number | null) => (ms === null || ok === 0 ? null : round((ms * 1000) / ok));
  return {
    serverPercent: percent(serverMs),
    loadPercent: percent(loadMs),
    machinePercent: percent(machineMs),
    serverMicrosPerCall: perCall(serverMs),
    loadMicrosPerCall: perCall(loadMs),
  };
}

/** Above this share of the machine's CPU used by other programs, a report warns. */
export const OTHERS_CPU_WARNING_PERCENT = 10;

/** A process at this share of a core (or the machine at this share of all its cores) counts as busy. */
export const BUSY_PERCENT = 85;

/**
 * Which side held the throughput back; see `Limit` in bench/results.ts. A full
 * machine comes before a busy load: when every core is taken, the load threads
 * wait for CPU too, and look busy.
 */
export function limitOf(
  figures: CpuFigures,
  { loadThreads, busiestThread }: Pick<LoadRun, 'loadThreads' | 'busiestThread'>,
  cpus = os.availableParallelism(),
): Limit {
  const { serverPercent, loadPercent, machinePercent } = figures;
  if (serverPercent === null) return 'unknown';
  if (serverPercent >= BUSY_PERCENT) return 'server';
  if (machinePercent !== null && machinePercent >= BUSY_PERCENT * cpus) return 'all CPUs';
  if (busiestThread !== null ? busiestThread * 100 >= BUSY_PERCENT : loadPercent !== null && loadPercent >= BUSY_PERCENT * loadThreads)
    return 'load';
  return 'round trips';
}

/** The limit seen most often (ties: the first in `limits`). */
export function mostCommon<T>(limits: readonly T[]): T {
  const counts = new Map<T, number>();
  for (const limit of limits) counts.set(limit, (counts.get(limit) ?? 0) + 1);
  return [...counts.entries()].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
}

export const CHECK_TIMEOUT_MS = 5000;

/**
 * One call with exactly the bytes the load sends, on a connection of its own:
 * "OK" when it answers OK with a task id, else what went wrong. For a Create,
 * `ids` receives the new task's id.
 */
export async function checkAnswer(host: string, port: number, request: WireRequest, ids?: string[]): Promise<string> {
  const outcome = await exchangeOnce(host, port, request, { timeoutMs: CHECK_TIMEOUT_MS, keepBody: true });
  if (!outcome.ok) return outcome.error;
  const id = taskIdOfAnswer(request.protocol, outcome.body ?? Buffer.alloc(0));
  if (ids && id) ids.push(id);
  return id ? 'OK' : 'answered OK without a task';
}
