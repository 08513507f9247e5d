// `npm run bench [-- [--quick] [--out FILE]]` (issue 6): the same TaskManager
// workload against gRPC and against a REST/JSON twin, measured on this machine.
//
// Three servers run as child processes (the reference gRPC server, a bare
// grpc-js baseline and the REST twin); this process is the client. Every
// measurement is bounded in time and in count. A benchmark, not a test: it
// prints figures and writes them to a JSON file; it fails only when a
// measurement got no successful answer at all.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { killAllChildren } from '../lib/process.ts';
import { type CpuSample, startCpuMeter, startOthersMeter } from './cpu.ts';
import { addErrors, type FanOutPlan, type LoopResult, runClosedLoop, runFanOut } from './load.ts';
import { createProgress, formatReport, type Progress, SERVER_LABELS } from './report.ts';
import {
  type BenchResults,
  type RatioCell,
  RESULTS_SCHEMA,
  type ServerKey,
  type StreamingCell,
  type UnaryCell,
  type UnaryOperation,
} from './results.ts';
import { type BenchServers, startBenchServers } from './servers.ts';
import { measureSizes, TYPICAL_NEW_TASK } from './sizes.ts';
import { geometricMean, median, round, summarizeLatencies } from './stats.ts';
import { type BenchTarget, grpcTarget, restTarget } from './targets.ts';

const DEFAULT_OUT = fileURLToPath(new URL('./results/latest.json', import.meta.url));

const CONCURRENCIES = [1, 10, 100];
const WATCHER_COUNTS = [1, 100, 1000];
const OPERATIONS: UnaryOperation[] = ['create', 'get'];
const CALL_TIMEOUT_MS = 5000;
/** Issue 6, item 3: the reference server should reach this share of the bare baseline's throughput. */
const REFERENCE_GOAL = 0.8;
/** Above this share of the machine's CPU used by other programs, the report warns. */
const OTHERS_CPU_WARNING_PERCENT = 10;
/** Get calls cycle over this many tasks created during warm-up. */
const GET_POOL_SIZE = 1000;

const USAGE = `npm run bench [-- [--quick] [--out FILE]]

Runs the same TaskManager workload against the reference gRPC server, a bare
grpc-js baseline and a REST/JSON twin, prints a table and writes the figures
as JSON (default: ${path.relative(process.cwd(), DEFAULT_OUT)}).

  --quick      a short run (under 20 s): fewer, shorter measurements
  --out FILE   where to write the JSON results`;

interface Plan {
  mode: 'quick' | 'normal';
  /** Each server gets slicesPerCell × sliceMs of measurement per cell, in turns. */
  unarySliceMs: number;
  unarySlicesPerCell: number;
  maxRequestsPerSlice: number;
  warmupMs: number;
  fanOut: Record<number, Omit<FanOutPlan, 'watchers'>>;
  /** The whole run is stopped (and fails) past this, whatever happens. */
  watchdogMs: number;
}

const PLANS: Record<Plan['mode'], Plan> = {
  normal: {
    mode: 'normal',
    unarySliceMs: 600,
    unarySlicesPerCell: 5,
    maxRequestsPerSlice: 100_000,
    warmupMs: 2000,
    fanOut: {
      1: { maxRounds: 300, maxDurationMs: 3000, roundTimeoutMs: 5000 },
      100: { maxRounds: 100, maxDurationMs: 4000, roundTimeoutMs: 5000 },
      1000: { maxRounds: 30, maxDurationMs: 6000, roundTimeoutMs: 5000 },
    },
    watchdogMs: 5 * 60_000,
  },
  quick: {
    mode: 'quick',
    unarySliceMs: 175,
    unarySlicesPerCell: 2,
    maxRequestsPerSlice: 50_000,
    warmupMs: 1000,
    fanOut: {
      1: { maxRounds: 30, maxDurationMs: 500, roundTimeoutMs: 3000 },
      100: { maxRounds: 10, maxDurationMs: 800, roundTimeoutMs: 3000 },
      1000: { maxRounds: 5, maxDurationMs: 1500, roundTimeoutMs: 3000 },
    },
    watchdogMs: 60_000,
  },
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: DEFAULT_OUT },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const plan = PLANS[values.quick ? 'quick' : 'normal'];
  const outFile = path.resolve(values.out);
  startWatchdog(plan.watchdogMs);

  const startedAt = new Date();
  const loadAtStart = os.loadavg()[0]!;
  const started = performance.now();
  const progress = createProgress(1 + 3 + 1 + OPERATIONS.length * CONCURRENCIES.length + WATCHER_COUNTS.length * 2);

  progress.next('starting the three servers (child processes)');
  const servers = await startBenchServers();
  const targets = connectTargets(servers);
  const othersMeter = startOthersMeter(() => targets.all.map((target) => target.serverPid));
  try {
    const getPools = new Map<BenchTarget, string[]>();
    for (const target of targets.all) {
      progress.next(`warming up ${target.label}`);
      getPools.set(target, await warmUp(target, plan));
    }
    progress.next('encoding sizes');
    const sizes = measureSizes();
    const unary = await measureUnary(targets.all, getPools, plan, progress);
    const streaming = await measureStreaming([targets.reference, targets.rest], plan, progress.next);
    progress.done();

    const results: BenchResults = {
      schema: RESULTS_SCHEMA,
      mode: plan.mode,
      startedAt: startedAt.toISOString(),
      wallTimeMs: round(performance.now() - started),
      machine: describeMachine(loadAtStart, othersMeter.stop()),
      settings: {
        unarySliceMs: plan.unarySliceMs,
        unarySlicesPerCell: plan.unarySlicesPerCell,
        warmupMs: plan.warmupMs,
        concurrencies: CONCURRENCIES,
        watcherCounts: WATCHER_COUNTS,
        callTimeoutMs: CALL_TIMEOUT_MS,
      },
      sizes,
      unary,
      streaming,
      comparisons: compare(unary),
    };
    mkdirSync(path.dirname(outFile), { recursive: true });
    writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);

    console.log(formatReport(results));
    console.log(`\nResults written to ${displayPath(outFile)}; wall time ${(results.wallTimeMs / 1000).toFixed(1)} s.`);
    const busy = busyWarning(results.machine);
    if (busy) console.log(busy);
    const empty = [...unary.filter((cell) => cell.ok === 0), ...streaming.filter((cell) => cell.samples === 0)];
    if (empty.length > 0) {
      console.error(`${empty.length} measurement(s) got no successful answer at all: see the errors column.`);
      return 1;
    }
    return 0;
  } finally {
    progress.done();
    for (const target of targets.all) target.close();
    await servers.stopAll();
  }
}

function connectTargets(servers: BenchServers) {
  const { reference: ref, bare: baseline, rest: twin } = servers;
  const reference = grpcTarget(
    'grpc-reference',
    SERVER_LABELS['grpc-reference'],
    { address: ref.address, serverPid: ref.child.pid },
    CALL_TIMEOUT_MS,
  );
  const bare = grpcTarget(
    'grpc-bare',
    SERVER_LABELS['grpc-bare'],
    { address: baseline.address, serverPid: baseline.child.pid },
    CALL_TIMEOUT_MS,
    {
      canWatch: false,
    },
  );
  const rest = restTarget(SERVER_LABELS.rest, { host: twin.host, port: twin.port, serverPid: twin.child.pid }, CALL_TIMEOUT_MS);
  return { reference, bare, rest, all: [reference, bare, rest] };
}

/**
 * Runs Creates then Gets for plan.warmupMs, so both sides' code is compiled
 * and their connections open before anything is measured. Returns the ids of
 * tasks created, for the Get measurements.
 */
async function warmUp(target: BenchTarget, plan: Plan): Promise<string[]> {
  const ids: string[] = [];
  const loop = { concurrency: 10, durationMs: plan.warmupMs / 2, maxRequests: plan.maxRequestsPerSlice };
  await runClosedLoop(async () => {
    const outcome = await target.create(TYPICAL_NEW_TASK);
    if (outcome.ok && ids.length < GET_POOL_SIZE) ids.push(outcome.id);
    return outcome;
  }, loop);
  if (ids.length === 0) throw new Error(`${target.label}: not one CreateTask succeeded during warm-up`);
  await runClosedLoop((index) => target.get(ids[index % ids.length]!), loop);
  return ids;
}

/**
 * Every (operation, callers) pair against every server. A pair is measured in
 * short slices with the servers taking turns (and turns going first), so a
 * burst of other activity on the machine, or slow drift, affects them alike.
 */
async function measureUnary(
  targets: BenchTarget[],
  getPools: Map<BenchTarget, string[]>,
  plan: Plan,
  progress: Progress,
): Promise<UnaryCell[]> {
  const cells: UnaryCell[] = [];
  let turn = 0;
  for (const operation of OPERATIONS) {
    for (const concurrency of CONCURRENCIES) {
      const what = `${operation === 'create' ? 'Create' : 'Get'} with ${concurrency} caller(s)`;
      progress.next(`${what}, ${targets.length} servers × ${plan.unarySlicesPerCell} slices`);
      const slices = new Map<BenchTarget, UnarySlice[]>(targets.map((target) => [target, []]));
      for (let slice = 1; slice <= plan.unarySlicesPerCell; slice++) {
        for (const target of rotate(targets, turn++)) {
          progress.detail(`${what}: slice ${slice}/${plan.unarySlicesPerCell} on ${target.label}`);
          slices.get(target)!.push(await measureSlice(target, operation, concurrency, getPools.get(target)!, plan));
        }
      }
      cells.push(...targets.map((target) => summarizeSlices(target.key, operation, concurrency, slices.get(target)!)));
    }
  }
  return cells;
}

interface UnarySlice {
  loop: LoopResult;
  cpu: CpuSample;
}

async function measureSlice(
  target: BenchTarget,
  operation: UnaryOperation,
  concurrency: number,
  ids: string[],
  plan: Plan,
): Promise<UnarySlice> {
  const callOnce = operation === 'create' ? () => target.create(TYPICAL_NEW_TASK) : (index: number) => target.get(ids[index % ids.length]!);
  const cpuMeter = startCpuMeter(target.serverPid);
  const loop = await runClosedLoop(callOnce, { concurrency, durationMs: plan.unarySliceMs, maxRequests: plan.maxRequestsPerSlice });
  return { loop, cpu: cpuMeter.stop() };
}

function summarizeSlices(server: ServerKey, operation: UnaryOperation, concurrency: number, slices: UnarySlice[]): UnaryCell {
  const sum = (pick: (slice: UnarySlice) => number) => slices.reduce((total, slice) => total + pick(slice), 0);
  const ok = sum((slice) => slice.loop.ok);
  const wallMs = sum((slice) => slice.cpu.wallMs);
  const serverKnown = slices.every((slice) => slice.cpu.serverMs !== null);
  const serverMs = sum((slice) => slice.cpu.serverMs ?? 0);
  const errors: Record<string, number> = {};
  for (const slice of slices) addErrors(errors, slice.loop.errors);
  const sliceThroughputs = slices.map((slice) => round((slice.loop.ok * 1000) / slice.loop.elapsedMs));
  return {
    server,
    operation,
    concurrency,
    elapsedMs: round(sum((slice) => slice.loop.elapsedMs)),
    sliceThroughputsPerSec: sliceThroughputs,
    ok,
    errors,
    throughputPerSec: round(median(sliceThroughputs)),
    latencyMs: summarizeLatencies(slices.flatMap((slice) => slice.loop.latencies)),
    cpu: {
      clientPercent: round((sum((slice) => slice.cpu.clientMs) / wallMs) * 100),
      serverPercent: serverKnown ? round((serverMs / wallMs) * 100) : null,
      serverMicrosPerCall: serverKnown && ok > 0 ? round((serverMs * 1000) / ok) : null,
    },
  };
}

async function measureStreaming(targets: BenchTarget[], plan: Plan, announce: (what: string) => void): Promise<StreamingCell[]> {
  const cells: StreamingCell[] = [];
  let turn = 0;
  for (const watchers of WATCHER_COUNTS) {
    const measured: StreamingCell[] = [];
    for (const target of rotate(targets, turn++)) {
      announce(`Create → event with ${watchers} watcher(s) on ${target.label}`);
      const result = await runFanOut(target, { watchers, ...plan.fanOut[watchers]! });
      measured.push({ server: target.key as StreamingCell['server'], watchers, ...result });
    }
    cells.push(...targets.map((target) => measured.find((cell) => cell.server === target.key)!));
  }
  return cells;
}

function compare(unary: UnaryCell[]): BenchResults['comparisons'] {
  const cellOf = (server: UnaryCell['server'], operation: UnaryOperation, concurrency: number) =>
    unary.find((cell) => cell.server === server && cell.operation === operation && cell.concurrency === concurrency)!;
  /** `measure(over) ÷ measure(under)` for every (operation, callers) pair; undefined if a figure is missing. */
  const ratios = (over: UnaryCell['server'], under: UnaryCell['server'], measure: (cell: UnaryCell) => number | null) => {
    const cells: RatioCell[] = [];
    for (const operation of OPERATIONS) {
      for (const concurrency of CONCURRENCIES) {
        const top = measure(cellOf(over, operation, concurrency));
        const bottom = measure(cellOf(under, operation, concurrency));
        if (top === null || bottom === null || bottom === 0) return undefined;
        cells.push({ operation, concurrency, ratio: round(top / bottom) });
      }
    }
    return cells;
  };
  const throughput = (cell: UnaryCell) => cell.throughputPerSec;
  const meanOf = (cells: RatioCell[]) => round(geometricMean(cells.map((cell) => cell.ratio)));

  const referenceOverBare = ratios('grpc-reference', 'grpc-bare', throughput)!;
  const cpuPerCall = ratios('grpc-reference', 'grpc-bare', (cell) => cell.cpu.serverMicrosPerCall);
  return {
    grpcReferenceOverRest: ratios('grpc-reference', 'rest', throughput)!,
    referenceOverBare: {
      cells: referenceOverBare,
      geometricMean: meanOf(referenceOverBare),
      goal: REFERENCE_GOAL,
      met: meanOf(referenceOverBare) >= REFERENCE_GOAL,
      serverCpuPerCall: cpuPerCall ? { cells: cpuPerCall, geometricMean: meanOf(cpuPerCall) } : null,
    },
  };
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function describeMachine(loadAtStart: number, otherProgramsCpuPercent: number | null): BenchResults['machine'] {
  const cpus = os.cpus();
  return {
    node: process.versions.node,
    platform: process.platform,
    arch: process.arch,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    loadAverage: { atStart: round(loadAtStart), atEnd: round(os.loadavg()[0]!) },
    otherProgramsCpuPercent: otherProgramsCpuPercent === null ? null : round(otherProgramsCpuPercent),
  };
}

/**
 * Client and servers share this machine's CPUs: anything else running (a test
 * suite, a build) takes CPU from them and the figures drop. Measured from /proc
 * where possible, else guessed from the 1-minute load average.
 */
function busyWarning({ cpus, loadAverage, otherProgramsCpuPercent }: BenchResults['machine']): string | undefined {
  const advice = 'Other programs took CPU time from the bench: close them, or run it again, before trusting the figures.';
  if (otherProgramsCpuPercent !== null) {
    if (otherProgramsCpuPercent < OTHERS_CPU_WARNING_PERCENT) return undefined;
    return `Note: other programs used ${Math.round(otherProgramsCpuPercent)}% of this machine's CPU capacity while the bench ran. ${advice}`;
  }
  // The bench itself keeps about two processes busy; well above that, something else is running.
  const load = Math.max(loadAverage.atStart, loadAverage.atEnd);
  if (load <= cpus + 1) return undefined;
  return `Note: the machine was busy (1-minute load average up to ${load.toFixed(1)} on ${cpus} CPUs). ${advice}`;
}

/** Relative to the current folder when inside it, else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** Whatever goes wrong, the run ends and takes its servers with it. */
function startWatchdog(ms: number): void {
  setTimeout(() => {
    console.error(`\nbench: still running after ${ms / 1000} s; stopping.`);
    killAllChildren();
    process.exit(1);
  }, ms).unref();
}

// Output piped into a reader that went away (`npm run bench | head`): stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  killAllChildren();
  process.exit(0);
});

// Ctrl+C: the servers run in process groups of their own, so the terminal's signal does not reach them.
process.once('SIGINT', () => {
  killAllChildren();
  process.exit(130);
});

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`\nbench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
