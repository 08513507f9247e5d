// `npm run bench -- --ceiling` (also `npm run bench:ceiling`): how close the
// reference server (solutions/server.ts) comes to a bare grpc-js server of the
// same contract (bench/bare-grpc-server.ts), under the same neutral load.
//
// Unary CreateTask at 10 connections × 10 streams, driven by h2load where it is
// installed (the bench's own load otherwise). Each server gets a warm-up round
// twice as long as the others (the JIT compiles the hot paths; not counted), then the servers take turns,
// round after round, the first one alternating. Each round gives a ratio
// reference ÷ bare; their median is the figure, so a round disturbed by another
// program on the machine does not move it.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ServerProcess } from '../lib/process.ts';
import type { LoadJob } from './closed-loop.ts';
import { startOthersMeter } from './cpu.ts';
import {
  BUSY_PERCENT,
  CHECK_TIMEOUT_MS,
  checkAnswer,
  chooseLoad,
  H2LOAD_INSTALL_HINT,
  type LoadChoice,
  type Measured,
  measure,
  OTHERS_CPU_WARNING_PERCENT,
  startTogether,
} from './measure.ts';
import type { Progress } from './progress.ts';
import { REQUESTS } from './requests.ts';
import type { Limit } from './results.ts';
import { SERVER_LABELS, startBenchServers } from './servers.ts';
import { median, round } from './stats.ts';
import { type Cell, count, errorText, micros, percentOfCore, renderTableForTerminal } from './table.ts';

export const CEILING_SCHEMA = 'taskmanager-bench-ceiling/1';
/** The reference server should reach at least this share of the bare server's requests per second. */
export const CEILING_TARGET = 0.9;
export const CEILING_CONNECTIONS = 10;
export const CEILING_STREAMS = 10;
/** The warm-up round lasts this many rounds: the JIT is still compiling during the first 20,000 calls or so. */
const WARM_UP_ROUNDS = 2;

export interface CeilingOptions {
  rounds: number;
  /** How long each server is measured in each round. */
  roundMs: number;
  load: LoadChoice;
  threads: number;
  /** The JSON results; the request body h2load sends is kept next to it. */
  outFile: string;
}

type Side = 'reference' | 'bare';
const SIDES: readonly Side[] = ['reference', 'bare'];
const LABELS: Record<Side, string> = { reference: SERVER_LABELS['grpc-reference'], bare: SERVER_LABELS['grpc-bare'] };

export interface CeilingRound {
  /** 0 is the warm-up round (not counted). */
  round: number;
  first: Side;
  reference: RoundFigures;
  bare: RoundFigures;
  /** reference ÷ bare requests per second. */
  ratio: number;
}

interface RoundFigures {
  requestsPerSec: number;
  ok: number;
  errors: Record<string, number>;
  serverPercent: number | null;
  serverMicrosPerCall: number | null;
  loadPercent: number | null;
  limit: Limit;
}

export interface CeilingResults {
  schema: typeof CEILING_SCHEMA;
  startedAt: string;
  wallTimeMs: number;
  load: { generator: 'h2load' | 'own'; choice: string; commands: Partial<Record<Side, string>> };
  settings: { call: 'CreateTask'; connections: number; streamsPerConnection: number; roundMs: number; rounds: number };
  /** Share of the machine's CPU capacity used by other programs during the run; null without /proc. */
  otherProgramsCpuPercent: number | null;
  checks: Record<Side, { before: string; after: string }>;
  warmUp: CeilingRound;
  rounds: CeilingRound[];
  medianRatio: number;
  /** Median over the rounds of server CPU time per call, reference ÷ bare; null without /proc. */
  medianCpuPerCallRatio: number | null;
  target: number;
}

/** The median of the ratios of the counted rounds (the warm-up is not one of them). */
export function medianRatio(rounds: readonly Pick<CeilingRound, 'ratio'>[]): number {
  return round(median(rounds.map((entry) => entry.ratio)));
}

/** The median over the rounds of the servers' CPU time per call, reference ÷ bare; null where it is unknown. */
export function medianCpuPerCallRatio(rounds: readonly Pick<CeilingRound, 'reference' | 'bare'>[]): number | null {
  const ratios = rounds.map(({ reference, bare }) =>
    reference.serverMicrosPerCall === null || !bare.serverMicrosPerCall ? null : reference.serverMicrosPerCall / bare.serverMicrosPerCall,
  );
  return ratios.length > 0 && ratios.every((ratio) => ratio !== null) ? round(median(ratios as number[])) : null;
}

/** Runs the comparison; prints as it goes through `print`. Returns the exit code. */
export async function runCeiling(options: CeilingOptions, print: (line: string) => void, progress: Progress): Promise<number> {
  const started = performance.now();
  const startedAt = new Date();
  const request = REQUESTS.create.grpc();
  progress.next('starting the reference and the bare server, and the load');
  const [servers, load] = await startTogether(
    startBenchServers(['grpc-reference', 'grpc-bare'] as const),
    // The body file is kept next to the results, so that the printed command can be run again.
    chooseLoad(options.load, options.threads, { needOwn: false, h2load: { bodyFolder: path.dirname(options.outFile), latencies: false } }),
  );
  const serverOf: Record<Side, ServerProcess> = { reference: servers['grpc-reference'], bare: servers['grpc-bare'] };
  const commands: Partial<Record<Side, string>> = {};
  try {
    const job = (side: Side, durationMs: number): LoadJob => ({
      host: serverOf[side].host,
      port: serverOf[side].port,
      request,
      connections: CEILING_CONNECTIONS,
      streamsPerConnection: CEILING_STREAMS,
      durationMs,
      timeoutMs: CHECK_TIMEOUT_MS,
    });
    const check = (side: Side) => checkAnswer(serverOf[side].host, serverOf[side].port, request);
    const checks = { reference: { before: await check('reference'), after: '' }, bare: { before: await check('bare'), after: '' } };

    progress.done();
    print(
      `Reference server vs bare grpc-js server: unary CreateTask, ${CEILING_CONNECTIONS} connections × ${CEILING_STREAMS} streams, ` +
        `${(options.roundMs / 1000).toFixed(1)} s per server per round, ${options.rounds} rounds after a warm-up round.`,
    );
    print(`Load: ${load.choice}.`);
    print(`Check before (one CreateTask with the same request bytes, grpc-status read): ${describeChecks(checks, 'before')}.`);
    if (SIDES.some((side) => checks[side].before !== 'OK')) {
      print('A server does not answer CreateTask with OK: nothing was measured.');
      return 1;
    }

    const measureRound = async (index: number): Promise<CeilingRound> => {
      const first: Side = index % 2 === 1 ? 'reference' : 'bare';
      const figures = {} as Record<Side, RoundFigures>;
      for (const side of first === 'reference' ? SIDES : [...SIDES].reverse()) {
        progress.next(index === 0 ? `warm-up round: ${LABELS[side]}` : `round ${index} of ${options.rounds}: ${LABELS[side]}`);
        const measured = await measure(
          load.unary,
          job(side, index === 0 ? WARM_UP_ROUNDS * options.roundMs : options.roundMs),
          serverOf[side].child.pid,
        );
        if (measured.run.command && index > 0) commands[side] = measured.run.command;
        figures[side] = roundFigures(measured);
      }
      const ratio = figures.bare.requestsPerSec > 0 ? round(figures.reference.requestsPerSec / figures.bare.requestsPerSec) : 0;
      return { round: index, first, ...figures, ratio };
    };

    const othersMeter = startOthersMeter(() => SIDES.map((side) => serverOf[side].child.pid));
    const warmUp = await measureRound(0);
    const rounds: CeilingRound[] = [];
    for (let index = 1; index <= options.rounds; index++) rounds.push(await measureRound(index));
    const otherProgramsCpuPercent = othersMeter.stop();
    checks.reference.after = await check('reference');
    checks.bare.after = await check('bare');
    progress.done();

    const results: CeilingResults = {
      schema: CEILING_SCHEMA,
      startedAt: startedAt.toISOString(),
      wallTimeMs: round(performance.now() - started),
      load: { generator: load.unary.kind, choice: load.choice, commands },
      settings: {
        call: 'CreateTask',
        connections: CEILING_CONNECTIONS,
        streamsPerConnection: CEILING_STREAMS,
        roundMs: options.roundMs,
        rounds: options.rounds,
      },
      checks,
      warmUp,
      rounds,
      medianRatio: medianRatio(rounds),
      medianCpuPerCallRatio: medianCpuPerCallRatio(rounds),
      target: CEILING_TARGET,
      otherProgramsCpuPercent: otherProgramsCpuPercent === null ? null : round(otherProgramsCpuPercent),
    };
    for (const line of formatCeiling(results)) print(line);
    mkdirSync(path.dirname(options.outFile), { recursive: true });
    writeFileSync(options.outFile, `${JSON.stringify(results, null, 2)}\n`);
    print(`Results written to ${options.outFile}; wall time ${(results.wallTimeMs / 1000).toFixed(1)} s.`);

    const failed =
      SIDES.some((side) => checks[side].after !== 'OK') ||
      [warmUp, ...rounds].some((entry) => entry.reference.ok === 0 || entry.bare.ok === 0);
    return failed ? 1 : 0;
  } finally {
    progress.done();
    await Promise.all([servers.stopAll(), load.close()]);
  }
}

function roundFigures({ throughputPerSec, run, figures, limit }: Measured): RoundFigures {
  return {
    requestsPerSec: round(throughputPerSec),
    ok: run.ok,
    errors: run.errors,
    serverPercent: figures.serverPercent,
    serverMicrosPerCall: figures.serverMicrosPerCall,
    loadPercent: figures.loadPercent,
    limit,
  };
}

function describeChecks(checks: CeilingResults['checks'], when: 'before' | 'after'): string {
  return SIDES.map((side) => `${LABELS[side]} ${checks[side][when]}`).join(', ');
}

/** The table of rounds, the median ratio against the target, the check after, and the exact commands. */
export function formatCeiling(results: CeilingResults): string[] {
  const row = (entry: CeilingRound): Cell[] => [
    entry.round === 0 ? 'warm-up' : String(entry.round),
    LABELS[entry.first],
    count(entry.reference.requestsPerSec),
    count(entry.bare.requestsPerSec),
    entry.round === 0 ? { text: `(${entry.ratio.toFixed(2)}, not counted)`, tone: 'dim' } : entry.ratio.toFixed(2),
    `${percentOfCore(entry.reference.serverPercent)} / ${percentOfCore(entry.bare.serverPercent)}`,
    `${micros(entry.reference.serverMicrosPerCall)} / ${micros(entry.bare.serverMicrosPerCall)}`,
    errorText(sumErrors(entry)),
  ];
  const table = renderTableForTerminal({
    columns: [
      { title: 'round', align: 'left' },
      { title: 'first', align: 'left' },
      { title: 'reference req/s', align: 'right' },
      { title: 'bare req/s', align: 'right' },
      { title: 'reference ÷ bare', align: 'right' },
      { title: 'server CPU ref / bare', align: 'right' },
      { title: 'server µs/call ref / bare', align: 'right' },
      { title: 'errors', align: 'left' },
    ],
    rows: [results.warmUp, ...results.rounds].map(row),
  });
  const met = results.medianRatio >= results.target;
  const lines = [
    '',
    ...table,
    '',
    `Median of the ${results.rounds.length} per-round ratios, reference ÷ bare: ${results.medianRatio.toFixed(2)} ` +
      `(target: at least ${results.target.toFixed(2)}; ${met ? 'met' : 'not met'}).`,
    `Check after: ${describeChecks(results.checks, 'after')}.`,
  ];
  if (results.medianCpuPerCallRatio !== null) {
    lines.splice(
      -1,
      0,
      `Server CPU time per call, reference ÷ bare (median of the rounds): ${results.medianCpuPerCallRatio.toFixed(2)}× ` +
        '(it depends less than calls per second on what else the machine runs).',
    );
  }
  const notServerBound = results.rounds.filter((entry) => entry.reference.limit !== 'server' || entry.bare.limit !== 'server').length;
  if (notServerBound > 0 && results.rounds.some((entry) => entry.reference.serverPercent !== null)) {
    lines.push(
      `In ${notServerBound} of ${results.rounds.length} rounds a server used less than ${BUSY_PERCENT}% of a core: ` +
        `something else (the load, other programs) was the limit there, and the ratio is flattened.`,
    );
  }
  const others = results.otherProgramsCpuPercent;
  if (others !== null && others >= OTHERS_CPU_WARNING_PERCENT) {
    lines.push(
      `Other programs used ${Math.round(others)}% of this machine's CPU capacity during the rounds: close them, or run it again, before trusting the ratio.`,
    );
  }
  if (results.load.generator === 'own') {
    lines.push(`h2load was not used (${H2LOAD_INSTALL_HINT}): the load came from the bench's own threads.`);
  }
  for (const side of SIDES) {
    const command = results.load.commands[side];
    if (command) lines.push(`h2load command, ${LABELS[side]}: ${command}`);
  }
  return lines;
}

function sumErrors(entry: CeilingRound): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const side of SIDES) {
    for (const [kind, n] of Object.entries(entry[side].errors)) errors[`${side}: ${kind}`] = (errors[`${side}: ${kind}`] ?? 0) + n;
  }
  return errors;
}
