// `npm run bench [-- OPTIONS]`: gRPC against a REST/JSON twin of the same
// service, measured on this machine (bench/run.ts), and `npm run bench --
// --ceiling`: the reference server against a bare grpc-js server (bench/ceiling.ts).
// See `npm run bench -- --help`.
//
// A benchmark, not a test: it prints figures and writes them to files; it fails
// only when a measurement got no successful answer, or a server did not answer OK.
// Every child process (servers, h2load) and load thread ends with it, also on
// Ctrl+C, on a failure, or when its watchdog fires.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exitAfterOutput, stopQuietlyWhenOutputCloses } from '../lib/cli.ts';
import { killAllChildren } from '../lib/process.ts';
import { runCeiling } from './ceiling.ts';
import { renderHtml } from './html.ts';
import { OTHERS_CPU_WARNING_PERCENT, SetupError } from './measure.ts';
import { type BenchCommand, parseBenchArgs, USAGE, UsageError } from './options.ts';
import { createProgress } from './progress.ts';
import { formatReport } from './report.ts';
import type { BenchResults } from './results.ts';
import { PLANS, runBench, totalSteps } from './run.ts';

/** The ceiling's budget: its rounds are bounded by count, not time; this only stops a stalled run. */
const CEILING_WATCHDOG_MS = 10 * 60_000;

/** Relative to the current folder when inside it, else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** The HTML page goes next to the JSON: latest.json → latest.html. */
export function htmlFileFor(jsonFile: string): string {
  return jsonFile.endsWith('.json') ? `${jsonFile.slice(0, -'.json'.length)}.html` : `${jsonFile}.html`;
}

async function bench(command: Extract<BenchCommand, { kind: 'bench' }>): Promise<number> {
  const plan = PLANS[command.quick ? 'quick' : 'full'];
  startWatchdog(plan.watchdogMs);
  const progress = createProgress(totalSteps());
  const results: BenchResults = await runBench(
    { plan, load: command.load, threads: command.threads, slowLink: command.slowLink },
    progress,
  );
  const htmlFile = htmlFileFor(command.outFile);
  mkdirSync(path.dirname(command.outFile), { recursive: true });
  writeFileSync(command.outFile, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(htmlFile, renderHtml(results));

  console.log(formatReport(results));
  const busy = busyWarning(results.machine);
  if (busy) console.log(`\n${busy}`);
  console.log(`\nWall time ${(results.wallTimeMs / 1000).toFixed(1)} s. Results: ${displayPath(command.outFile)}`);
  console.log(`Charts: ${displayPath(htmlFile)}`);
  const empty = [
    ...results.unary.filter((cell) => cell.ok === 0),
    ...results.slowLink.cells.filter((cell) => cell.ok === 0),
    ...results.streaming.filter((cell) => cell.samples === 0),
  ];
  const failedChecks = results.load.checks.filter((check) => check.before !== 'OK' || check.after !== 'OK');
  if (empty.length > 0) console.error(`${empty.length} measurement(s) got no successful answer at all: see the errors columns.`);
  if (failedChecks.length > 0)
    console.error('A server did not answer OK to the check after the unary measurements: see the line at the top.');
  return empty.length > 0 || failedChecks.length > 0 ? 1 : 0;
}

/**
 * The load and the servers share this machine's CPUs: anything else running
 * (a test suite, a build) takes CPU from them and the figures drop. Measured
 * from /proc where possible, else guessed from the 1-minute load average.
 */
function busyWarning({ cpus, loadAverage, otherProgramsCpuPercent }: BenchResults['machine']): string | undefined {
  const advice = 'Other programs took CPU time from the bench: close them, or run it again, before trusting the figures.';
  if (otherProgramsCpuPercent !== null) {
    if (otherProgramsCpuPercent < OTHERS_CPU_WARNING_PERCENT) return undefined;
    return `Note: other programs used ${Math.round(otherProgramsCpuPercent)}% of this machine's CPU capacity while the bench ran. ${advice}`;
  }
  const load = Math.max(loadAverage.atStart, loadAverage.atEnd);
  if (load <= cpus) return undefined;
  return `Note: this machine was busy (1-minute load average up to ${load.toFixed(1)} on ${cpus} CPUs). ${advice}`;
}

/** Whatever goes wrong, the run ends and takes its servers, h2load and load threads with it. */
function startWatchdog(ms: number): void {
  setTimeout(() => {
    console.error(`\nbench: still running after ${ms / 1000} s; stopping.`);
    killAllChildren();
    exitAfterOutput(1);
  }, ms).unref();
}

async function main(): Promise<number> {
  let command: BenchCommand;
  try {
    command = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench: ${error.message}`);
    return 2;
  }
  if (command.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (command.kind === 'ceiling') {
    startWatchdog(CEILING_WATCHDOG_MS);
    return runCeiling(command, (line) => console.log(line), createProgress(1 + 2 * (command.rounds + 1)));
  }
  return bench(command);
}

// Output piped into a reader that went away (`npm run bench | head`): stop quietly
// (the servers, h2load and load threads go with the process: lib/process.ts).
stopQuietlyWhenOutputCloses();

// Ctrl+C: the servers and h2load run in process groups of their own, so the
// terminal's signal does not reach them; load threads end with this process.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllChildren();
    exitAfterOutput(signal === 'SIGINT' ? 130 : 143);
  });
}

try {
  process.exitCode = await main();
} catch (error) {
  // A problem with the machine or the choice made (h2load missing): one line. Anything else: the message, no stack.
  const message = error instanceof Error ? error.message : String(error);
  console.error(error instanceof SetupError ? `bench: ${message}` : `\nbench failed: ${message}`);
  process.exitCode = 1;
}
