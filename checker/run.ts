// The runner: phase by phase, check by check, each with its own time limit; the next
// phase's processes start while one runs; everything stops at the end. It
// prints nothing itself: a RunReporter (checker/report/terminal.ts, or none)
// hears each step.
import { randomUUID } from 'node:crypto';
import type { Implementation } from '../lib/implementation.ts';
import { GENERATED_DIR, PROTO_FILE } from '../lib/proto.ts';
import { CheckFailure, NotRun, SetupError } from './harness/failures.ts';
import { Harness } from './harness/harness.ts';
import type { Check, CheckResult, Phase, PhaseResult } from './harness/phase.ts';
import { PHASES } from './phases/index.ts';

/** No check may take longer (its own waits are shorter: this catches what never answers at all). */
export const CHECK_TIMEOUT_MS = 8000;

export interface RunReporter {
  phaseStart(phase: Phase, starting: string | undefined): void;
  checkStart(check: Check): void;
  checkDone(result: CheckResult): void;
  phaseDone(phase: Phase, result: PhaseResult): void;
}

export interface RunOptions {
  /** The phases to run, in order. */
  phases: number[];
  /** Stop after the first phase that does not pass (the learner's current phase). */
  stopAtFirstFailure: boolean;
  impl: Implementation;
  /** Print each check's transcript live. */
  verbose: boolean;
  print: (line: string) => void;
  reporter?: RunReporter;
  startTimeoutMs?: number;
  checkTimeoutMs?: number;
  protoFile?: string;
  generatedDir?: string;
}

export interface RunOutcome {
  /** 0: every check passed; 1: a check failed; 2: some code could not be run at all. */
  exitCode: 0 | 1 | 2;
  results: PhaseResult[];
}

export async function runChecker(options: RunOptions): Promise<RunOutcome> {
  const results: PhaseResult[] = [];
  const phases = options.phases.map((number) => PHASES.find((candidate) => candidate.number === number)!);
  const harness = new Harness({
    impl: options.impl,
    verbose: options.verbose,
    print: options.print,
    startTimeoutMs: options.startTimeoutMs ?? 8000,
    protoFile: options.protoFile ?? PROTO_FILE,
    generatedDir: options.generatedDir ?? GENERATED_DIR,
    token: `checker-${randomUUID().slice(0, 8)}`,
  });
  try {
    phases[0]?.prepare?.(harness);
    for (const [index, phase] of phases.entries()) {
      // The next phase's processes start while this one runs.
      phases[index + 1]?.prepare?.(harness);
      const result = await runPhase(phase, harness, options);
      results.push(result);
      if (options.stopAtFirstFailure && result.status !== 'pass') break;
    }
  } finally {
    await harness.cleanup();
  }
  const checks = results.flatMap((result) => result.checks);
  const exitCode = checks.some((check) => check.status === 'error') ? 2 : checks.every((check) => check.status === 'pass') ? 0 : 1;
  return { exitCode, results };
}

async function runPhase(phase: Phase, harness: Harness, options: RunOptions): Promise<PhaseResult> {
  const started = performance.now();
  const limitMs = options.checkTimeoutMs ?? CHECK_TIMEOUT_MS;
  options.reporter?.phaseStart(phase, phase.starting?.(harness));
  const checks: CheckResult[] = [];
  /** Why the rest of the phase does not run (only the checks of `file`, when it is set). */
  let stop: { reason: string; file?: string } | undefined;
  for (const check of phase.checks) {
    const base = { phase: phase.number, name: check.name, proves: check.proves, file: check.file, transcript: [], learnerOutput: [] };
    if (stop && (stop.file === undefined || stop.file === check.file)) {
      const result: CheckResult = { ...base, status: 'not-run', reason: stop.reason };
      checks.push(result);
      options.reporter?.checkDone(result);
      continue;
    }
    harness.beginCheck();
    options.reporter?.checkStart(check);
    const result = await runCheck(phase, check, harness, limitMs);
    checks.push(result);
    options.reporter?.checkDone(result);
    const exit = await harness.learnerExit();
    if (exit) stop = { reason: `your server stopped (${exit}) during “${check.name}”` };
    else if (result.failure?.stopsPhase) stop = { reason: result.failure.stopsPhase, file: check.file };
  }
  const status = checks.some((check) => check.status === 'error')
    ? 'error'
    : checks.every((check) => check.status === 'pass')
      ? 'pass'
      : 'fail';
  const result: PhaseResult = { phase: phase.number, title: phase.title, status, checks, durationMs: performance.now() - started };
  options.reporter?.phaseDone(phase, result);
  return result;
}

async function runCheck(phase: Phase, check: Check, harness: Harness, limitMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new CheckFailure({
          expected: `the check to finish within ${limitMs / 1000} s`,
          received: `still waiting after: ${harness.transcript.at(-1) ?? 'the start'}`,
          explanation: 'something never answered: a handler that never calls callback, or a stream that never ends',
        }),
      );
    }, limitMs);
  });
  const finish = (fields: Partial<CheckResult> & Pick<CheckResult, 'status'>): CheckResult => ({
    phase: phase.number,
    name: check.name,
    proves: check.proves,
    file: check.file,
    transcript: harness.transcript,
    learnerOutput: harness.learnerOutput,
    ...fields,
  });
  try {
    await Promise.race([check.run(harness), timeout]);
    return finish({ status: 'pass' });
  } catch (error) {
    if (error instanceof SetupError) return finish({ status: 'error', error, file: error.file, reason: error.summary });
    if (error instanceof NotRun) return finish({ status: 'not-run', reason: error.reason });
    const details =
      error instanceof CheckFailure
        ? error.details
        : {
            expected: 'the check to run',
            received: `the grader hit an error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          };
    return finish({ status: 'fail', file: details.file ?? check.file, failure: { ...details, hint: details.hint ?? check.hint } });
  } finally {
    clearTimeout(timer);
  }
}
