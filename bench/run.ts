// `npm run bench`: the measurements, in order, and the results they make.
//
//   1. encoding: size and encode/decode time of the same tasks as protobuf and JSON (in this process);
//   2. the three servers start (child processes), and the load;
//   3. slow link: the reference gRPC server and the REST twin behind a throttling proxy;
//   4. unary calls at 1, 10 and 100 callers, the servers taking turns in short slices;
//   5. event delivery to 1 to 1,000 watchers.
// The slow link comes before the unary calls, while the stores are small: its
// "list" call filters every task a server holds.
import os from 'node:os';
import type { LoadJob } from './closed-loop.ts';
import { type CodecPlan, measureEncoding } from './codec.ts';
import { startOthersMeter } from './cpu.ts';
import type { LoadGenerator } from './load.ts';
import { checkAnswer, chooseLoad, cpuFigures, type LoadChoice, type Measured, measure, mostCommon, startTogether } from './measure.ts';
import type { Progress } from './progress.ts';
import { SLOW_LINK_CLIENT_LABELS } from './report.ts';
import { REQUESTS, TYPICAL_NEW_TASK, taskCountOfList, type WireRequest } from './requests.ts';
import {
  type BenchResults,
  RESULTS_SCHEMA,
  type ServerKey,
  type SlowLinkCall,
  type SlowLinkCell,
  type SlowLinkClient,
  type StreamingCell,
  type UnaryCell,
  type UnaryOperation,
} from './results.ts';
import { type BenchServers, SERVER_LABELS, startBenchServers } from './servers.ts';
import { type SlowLinkSettings, startSlowLink } from './slow-link.ts';
import { median, round, summarizeLatencies } from './stats.ts';
import { type FanOutPlan, runFanOut } from './streaming.ts';
import { type BenchTarget, grpcTarget, restTarget } from './targets.ts';
import { exchangeOnce } from './wire.ts';

export const CALLERS = [1, 10, 100];
export const OPERATIONS: UnaryOperation[] = ['create', 'get'];
export const SERVERS: ServerKey[] = ['grpc-reference', 'grpc-bare', 'rest'];
export const WATCHER_COUNTS = [1, 100, 1000];
export const SLOW_LINK_CLIENTS: SlowLinkClient[] = ['grpc', 'rest-keep-alive', 'rest-new-connection'];
export const SLOW_LINK_CALLS: Array<{ call: SlowLinkCall; callers: number }> = [
  { call: 'create', callers: 1 },
  { call: 'create', callers: 10 },
  { call: 'list', callers: 1 },
];
/** Tasks in the answer of the slow link's list call. */
export const SLOW_LINK_LIST_TASKS = 1000;
const SLOW_LINK_TAG = 'slow-link-list';
const CALL_TIMEOUT_MS = 5000;
/** A 1,000-task list on a slow link takes a while: 300 KB at 1 Mbit/s is 2.4 s. */
const SLOW_LINK_TIMEOUT_MS = 30_000;

export interface Plan {
  mode: 'quick' | 'full';
  /** Each server gets slicesPerCell × sliceMs of measurement per cell, in turns. */
  unarySliceMs: number;
  unarySlicesPerCell: number;
  warmupMs: number;
  codec: CodecPlan;
  slowLink: { createSliceMs: number; listSliceMs: number };
  fanOut: Record<number, Omit<FanOutPlan, 'watchers'>>;
  /** The whole run is stopped (and fails) past this, whatever happens. */
  watchdogMs: number;
}

export const PLANS: Record<Plan['mode'], Plan> = {
  full: {
    mode: 'full',
    unarySliceMs: 500,
    unarySlicesPerCell: 4,
    warmupMs: 3000,
    codec: { batches: 15, batchMs: 20 },
    slowLink: { createSliceMs: 2000, listSliceMs: 3000 },
    fanOut: {
      1: { maxRounds: 300, maxDurationMs: 2000, roundTimeoutMs: 5000 },
      100: { maxRounds: 100, maxDurationMs: 3000, roundTimeoutMs: 5000 },
      1000: { maxRounds: 30, maxDurationMs: 4000, roundTimeoutMs: 5000 },
    },
    watchdogMs: 4 * 60_000,
  },
  quick: {
    mode: 'quick',
    unarySliceMs: 150,
    unarySlicesPerCell: 2,
    warmupMs: 600,
    codec: { batches: 5, batchMs: 5 },
    slowLink: { createSliceMs: 400, listSliceMs: 700 },
    fanOut: {
      1: { maxRounds: 30, maxDurationMs: 300, roundTimeoutMs: 3000 },
      100: { maxRounds: 10, maxDurationMs: 500, roundTimeoutMs: 3000 },
      1000: { maxRounds: 4, maxDurationMs: 800, roundTimeoutMs: 3000 },
    },
    watchdogMs: 90_000,
  },
};

export interface BenchOptions {
  plan: Plan;
  load: LoadChoice;
  threads: number;
  slowLink: SlowLinkSettings;
}

export function totalSteps(): number {
  return (
    2 +
    1 +
    SLOW_LINK_CALLS.length * SLOW_LINK_CLIENTS.length +
    SERVERS.length +
    OPERATIONS.length * CALLERS.length +
    WATCHER_COUNTS.length * 2
  );
}

const protocolOf = (server: ServerKey) => (server === 'rest' ? 'rest' : 'grpc');

/**
 * Connections for `callers` calls at once. gRPC: one HTTP/2 connection per load
 * thread (as an application shares one channel), the callers spread over them.
 * REST: HTTP/1.1 carries one request at a time, so one connection per caller.
 */
export function connectionPlan(
  protocol: 'grpc' | 'rest',
  callers: number,
  threads: number,
): Pick<LoadJob, 'connections' | 'streamsPerConnection'> {
  if (protocol === 'rest') return { connections: callers, streamsPerConnection: 1 };
  let connections = Math.max(1, Math.min(callers, threads));
  while (callers % connections !== 0) connections -= 1;
  return { connections, streamsPerConnection: callers / connections };
}

export async function runBench(options: BenchOptions, progress: Progress): Promise<BenchResults> {
  const { plan } = options;
  const startedAt = new Date();
  const loadAtStart = os.loadavg()[0]!;
  const started = performance.now();

  progress.next('encoding: size and encode/decode time, protobuf and JSON');
  const encoding = measureEncoding(plan.codec);

  progress.next('starting the three servers (child processes) and the load');
  const [servers, load] = await startTogether(startBenchServers(SERVERS), chooseLoad(options.load, options.threads, { needOwn: true }));
  const othersMeter = startOthersMeter(() => SERVERS.map((key) => servers[key].child.pid));
  try {
    const slowLinkCells = await measureSlowLink(servers, load, options, progress);
    const { cells: unary, checks } = await measureUnary(servers, load.unary, options, progress);
    const streaming = await measureStreaming(servers, plan, progress);
    progress.done();

    const most = Math.max(...CALLERS);
    return {
      schema: RESULTS_SCHEMA,
      mode: plan.mode,
      startedAt: startedAt.toISOString(),
      wallTimeMs: round(performance.now() - started),
      machine: describeMachine(loadAtStart, othersMeter.stop()),
      load: {
        generator: load.unary.kind,
        description: load.unary.description,
        choice: load.choice,
        caveat: load.unary.caveat ?? null,
        ownLoadThreads: options.threads,
        checks,
      },
      settings: {
        unarySliceMs: plan.unarySliceMs,
        unarySlicesPerCell: plan.unarySlicesPerCell,
        warmupMs: plan.warmupMs,
        callers: CALLERS,
        watcherCounts: WATCHER_COUNTS,
        callTimeoutMs: CALL_TIMEOUT_MS,
      },
      serverCpuPerCall: unary
        .filter((cell) => cell.callers === most)
        .map((cell) => ({ server: cell.server, operation: cell.operation, callers: cell.callers, micros: cell.cpu.serverMicrosPerCall })),
      unary,
      encoding,
      slowLink: {
        settings: {
          ...options.slowLink,
          connectionSetupRoundTrips: 1,
          ...plan.slowLink,
          listTasks: SLOW_LINK_LIST_TASKS,
        },
        cells: slowLinkCells,
      },
      streaming,
    };
  } finally {
    progress.done();
    await Promise.all([servers.stopAll(), load.close()]);
  }
}

type Servers = BenchServers<ServerKey>;

/**
 * Every (operation, callers) pair against every server. A pair is measured in
 * short slices with the servers taking turns (and turns going first), so a
 * burst of other activity on the machine, or slow drift, affects them alike.
 * One real call before and after checks that each server answers OK.
 */
async function measureUnary(servers: Servers, load: LoadGenerator, { plan, threads }: BenchOptions, progress: Progress) {
  const ids = new Map<ServerKey, string[]>(SERVERS.map((key) => [key, []]));
  const checks: BenchResults['load']['checks'] = [];
  const requestFor = (server: ServerKey, operation: UnaryOperation): WireRequest => {
    const protocol = protocolOf(server);
    return operation === 'create' ? REQUESTS.create[protocol]() : REQUESTS.get[protocol](ids.get(server)![0] ?? 'no-task');
  };
  const jobFor = (server: ServerKey, operation: UnaryOperation, callers: number, durationMs: number): LoadJob => ({
    host: servers[server].host,
    port: servers[server].port,
    request: requestFor(server, operation),
    ...connectionPlan(protocolOf(server), callers, threads),
    durationMs,
    timeoutMs: CALL_TIMEOUT_MS,
  });

  for (const server of SERVERS) {
    progress.next(`warming up ${SERVER_LABELS[server]}`);
    const before = await checkAnswer(servers[server].host, servers[server].port, REQUESTS.create[protocolOf(server)](), ids.get(server));
    checks.push({ server, before, after: '' });
    if (before !== 'OK') throw new Error(`${SERVER_LABELS[server]} does not answer a Create with OK: ${before}`);
    // Neither recorded nor checked: it lets the JIT compile both sides' hot paths before anything counts.
    for (const operation of OPERATIONS) await load.run(jobFor(server, operation, 10, plan.warmupMs / 2));
  }

  const cells: UnaryCell[] = [];
  let turn = 0;
  for (const operation of OPERATIONS) {
    for (const callers of CALLERS) {
      const what = `${operation === 'create' ? 'Create' : 'Get'} with ${callers} caller(s)`;
      progress.next(`${what}, ${SERVERS.length} servers × ${plan.unarySlicesPerCell} slices`);
      const slices = new Map<ServerKey, Measured[]>(SERVERS.map((server) => [server, []]));
      for (let slice = 1; slice <= plan.unarySlicesPerCell; slice++) {
        for (const server of rotate(SERVERS, turn++)) {
          progress.detail(`${what}: slice ${slice}/${plan.unarySlicesPerCell} on ${SERVER_LABELS[server]}`);
          const job = jobFor(server, operation, callers, plan.unarySliceMs);
          slices.get(server)!.push(await measure(load, job, servers[server].child.pid));
        }
      }
      for (const server of SERVERS)
        cells.push(summarizeSlices(server, operation, jobFor(server, operation, callers, 0), slices.get(server)!));
    }
  }
  for (const check of checks) {
    const { host, port } = servers[check.server];
    check.after = await checkAnswer(host, port, requestFor(check.server, 'get'));
  }
  return { cells, checks };
}

function summarizeSlices(server: ServerKey, operation: UnaryOperation, job: LoadJob, slices: Measured[]): UnaryCell {
  const sum = (pick: (slice: Measured) => number | null) =>
    slices.every((slice) => pick(slice) !== null) ? slices.reduce((total, slice) => total + pick(slice)!, 0) : null;
  const ok = sum((slice) => slice.run.ok)!;
  const errors: Record<string, number> = {};
  for (const slice of slices) for (const [kind, n] of Object.entries(slice.run.errors)) errors[kind] = (errors[kind] ?? 0) + n;
  const sliceThroughputs = slices.map((slice) => round(slice.throughputPerSec));
  const latencies = slices.flatMap((slice) => Array.from(slice.run.latencies));
  return {
    server,
    operation,
    callers: job.connections * (job.request.protocol === 'grpc' ? job.streamsPerConnection : 1),
    connections: job.connections,
    streamsPerConnection: job.streamsPerConnection,
    elapsedMs: round(sum((slice) => slice.run.elapsedMs)!),
    sliceThroughputsPerSec: sliceThroughputs,
    ok,
    errors,
    throughputPerSec: round(median(sliceThroughputs)),
    latencyMs: summarizeLatencies(latencies),
    cpu: cpuFigures({
      wallMs: sum((slice) => slice.cpu.wallMs)!,
      serverMs: sum((slice) => slice.cpu.serverMs),
      loadMs: sum((slice) => slice.run.loadCpuMs),
      machineMs: sum((slice) => slice.cpu.machineMs),
      ok,
    }),
    limit: mostCommon(slices.map((slice) => slice.limit)),
  };
}

/**
 * The reference gRPC server and the REST twin, each behind a slow link of its
 * own with the same settings. A small call (Create) with 1 and 10 callers, and
 * a large answer (a list of SLOW_LINK_LIST_TASKS tasks), for three clients:
 * gRPC on one HTTP/2 connection, REST with keep-alive, and REST opening a new
 * connection for every request. The bench's own load drives them, on one
 * thread (h2load has no connection-per-request mode).
 */
async function measureSlowLink(
  servers: Servers,
  { unary: fast, own }: { unary: LoadGenerator; own?: LoadGenerator },
  { plan, slowLink }: BenchOptions,
  progress: Progress,
): Promise<SlowLinkCell[]> {
  const behind = ['grpc-reference', 'rest'] as const;
  progress.next(`slow link: ${SLOW_LINK_LIST_TASKS.toLocaleString('en-US')} tasks to list, on each server`);
  const listTask = { ...TYPICAL_NEW_TASK, tags: [SLOW_LINK_TAG] };
  // Straight to the servers, with the fastest load at hand (h2load, where it is installed).
  await Promise.all(
    behind.map(async (server) => {
      const protocol = protocolOf(server);
      const filled = await fast.run({
        host: servers[server].host,
        port: servers[server].port,
        request: REQUESTS.create[protocol](listTask),
        ...connectionPlan(protocol, 10, 1),
        maxRequests: SLOW_LINK_LIST_TASKS,
        timeoutMs: CALL_TIMEOUT_MS,
      });
      // h2load would count a gRPC error as a success: the list itself says how many were made.
      const { host, port } = servers[server];
      const list = await exchangeOnce(host, port, REQUESTS.listByTag[protocol](SLOW_LINK_TAG), {
        timeoutMs: CALL_TIMEOUT_MS,
        keepBody: true,
      });
      const listed = list.ok ? taskCountOfList(protocol, list.body!) : undefined;
      if (filled.ok !== SLOW_LINK_LIST_TASKS || listed !== SLOW_LINK_LIST_TASKS) {
        const problem = list.ok ? `${listed ?? 'an unreadable number of'} tasks listed` : `the list call failed: ${list.error}`;
        throw new Error(`${SERVER_LABELS[server]}: ${SLOW_LINK_LIST_TASKS} tasks created for the slow link's list, but ${problem}`);
      }
    }),
  );

  const links = await Promise.all(behind.map((server) => startSlowLink(servers[server], slowLink)));
  try {
    const cells: SlowLinkCell[] = [];
    for (const { call, callers } of SLOW_LINK_CALLS) {
      for (const client of SLOW_LINK_CLIENTS) {
        const protocol = client === 'grpc' ? 'grpc' : 'rest';
        const link = links[client === 'grpc' ? 0 : 1]!;
        progress.next(`slow link: ${call === 'create' ? 'Create' : 'list'} with ${callers} caller(s), ${SLOW_LINK_CLIENT_LABELS[client]}`);
        const request = call === 'create' ? REQUESTS.create[protocol]() : REQUESTS.listByTag[protocol](SLOW_LINK_TAG);
        link.resetStats();
        const run = await own!.run({
          host: link.host,
          port: link.port,
          request,
          // gRPC: every caller on one connection, as one channel does.
          ...(protocol === 'grpc' ? { connections: 1, streamsPerConnection: callers } : { connections: callers, streamsPerConnection: 1 }),
          connectionPerRequest: client === 'rest-new-connection',
          // One client process, whichever protocol: the link, not the client's CPU, should set the pace.
          maxThreads: 1,
          durationMs: call === 'list' ? plan.slowLink.listSliceMs : plan.slowLink.createSliceMs,
          timeoutMs: SLOW_LINK_TIMEOUT_MS,
        });
        const stats = link.stats();
        const calls = Math.max(1, run.ok + Object.values(run.errors).reduce((total, n) => total + n, 0));
        cells.push({
          call,
          callers,
          client,
          connectionsOpened: stats.connections,
          ok: run.ok,
          errors: run.errors,
          throughputPerSec: round(run.elapsedMs > 0 ? (run.ok * 1000) / run.elapsedMs : 0),
          latencyMs: summarizeLatencies(run.latencies),
          bytesPerCall: { up: round(stats.bytesUp / calls), down: round(stats.bytesDown / calls) },
        });
      }
    }
    return cells;
  } finally {
    await Promise.all(links.map((link) => link.close()));
  }
}

async function measureStreaming(servers: Servers, plan: Plan, progress: Progress): Promise<StreamingCell[]> {
  const reference = servers['grpc-reference'];
  const twin = servers.rest;
  const targets: BenchTarget[] = [
    grpcTarget(
      'grpc-reference',
      SERVER_LABELS['grpc-reference'],
      { address: reference.address, serverPid: reference.child.pid },
      CALL_TIMEOUT_MS,
    ),
    restTarget(SERVER_LABELS.rest, { host: twin.host, port: twin.port, serverPid: twin.child.pid }, CALL_TIMEOUT_MS),
  ];
  try {
    const cells: StreamingCell[] = [];
    let turn = 0;
    for (const watchers of WATCHER_COUNTS) {
      const measured: StreamingCell[] = [];
      for (const target of rotate(targets, turn++)) {
        progress.next(`Create → event with ${watchers} watcher(s) on ${target.label}`);
        const result = await runFanOut(target, { watchers, ...plan.fanOut[watchers]! });
        measured.push({ server: target.key as StreamingCell['server'], watchers, ...result });
      }
      cells.push(...targets.map((target) => measured.find((cell) => cell.server === target.key)!));
    }
    return cells;
  } finally {
    for (const target of targets) target.close();
  }
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
