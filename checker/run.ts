// The runner: phase by phase, check by check, with a time limit on each, and
// everything the phase started stopped before the next one begins.

import { randomUUID } from 'node:crypto';
import type { Implementation } from '../lib/implementation.ts';
import { GENERATED_DIR, PROTO_FILE } from '../lib/proto.ts';
import { Harness } from './harness.ts';
import { PHASES } from './phases/index.ts';
import { Reporter } from './report.ts';
import { type Check, CheckFailure, type CheckResult, NotRun, type Phase, type PhaseResult, SetupError } from './types.ts';

export const PHASE_TIMEOUT_MS = 10_000;

export interface CheckerOptions {
  /** The phases to run, in order. */
  phases: number[];
  /** Stop after the first phase that does not pass (the learner's current phase). */
  stopAtFirstFailure: boolean;
  impl: Implementation;
  verbose: boolean;
  json: boolean;
  colors: boolean;
  print: (line: string) => void;
  /** How the learner runs this again, e.g. "npm run check -- --phase 2". */
  rerunCommand: (phase: number) => string;
  startTimeoutMs?: number;
  phaseTimeoutMs?: number;
  protoFile?: string;
  generatedDir?: string;
}

export interface CheckerOutcome {
  exitCode: 0 | 1 | 2;
  results: PhaseResult[];
}

export async function runChecker(options: CheckerOptions): Promise<CheckerOutcome> {
  const reporter = new Reporter(options);
  const results: PhaseResult[] = [];
  const phases = options.phases.map((number) => PHASES.find((candidate) => candidate.number === number)!);
  // Each phase's processes start while the phase before it runs: a run of all
  // phases then mostly waits for one server start-up, not five.
  const prepared = new Map<Phase, Harness>();
  const prepare = (phase: Phase): Harness => {
    let harness = prepared.get(phase);
    if (!harness) {
      harness = createHarness(phase, options);
      prepared.set(phase, harness);
      phase.prepare?.(harness);
    }
    return harness;
  };
  try {
    for (const [index, phase] of phases.entries()) {
      const harness = prepare(phase);
      const next = phases[index + 1];
      if (next) prepare(next);
      prepared.delete(phase); // runPhase stops what it started
      const result = await runPhase(phase, harness, options, reporter);
      results.push(result);
      if (options.stopAtFirstFailure && result.status !== 'pass') break;
    }
  } finally {
    await Promise.all([...prepared.values()].map((harness) => harness.cleanup()));
  }
  const exitCode = results.some((r) => r.status === 'error') ? 2 : results.every((r) => r.status === 'pass') ? 0 : 1;
  reporter.finish(results, exitCode);
  return { exitCode, results };
}

function createHarness(phase: Phase, options: CheckerOptions): Harness {
  return new Harness({
    impl: options.impl,
    verbose: options.verbose && !options.json,
    print: options.print,
    startTimeoutMs: options.startTimeoutMs ?? 8000,
    protoFile: options.protoFile ?? PROTO_FILE,
    generatedDir: options.generatedDir ?? GENERATED_DIR,
    authToken: phase.requiresToken ? `checker-${randomUUID().slice(0, 8)}` : undefined,
  });
}

async function runPhase(phase: Phase, harness: Harness, options: CheckerOptions, reporter: Reporter): Promise<PhaseResult> {
  const started = performance.now();
  reporter.phaseStart(phase, phase.starting?.(harness));
  harness.begin();
  const deadline = Date.now() + (options.phaseTimeoutMs ?? PHASE_TIMEOUT_MS);
  const checks: CheckResult[] = [];
  let setupError: SetupError | undefined;
  let stopReason: string | undefined;
  try {
    for (const check of phase.checks) {
      if (setupError || stopReason) {
        checks.push(notRun(phase, check, setupError ? 'the phase could not start' : stopReason!));
        continue;
      }
      harness.transcript = [];
      reporter.checkStart(check);
      const result = await runCheck(phase, check, harness, deadline);
      if (result instanceof SetupError) {
        setupError = result;
        reporter.setupError(result);
        checks.push(notRun(phase, check, 'the phase could not start'));
        continue;
      }
      checks.push(result);
      reporter.checkDone(result);
      const exit = await harness.learnerExit();
      if (exit) stopReason = `your server stopped (${exit}) during “${check.name}”`;
      else if (result.failure && Date.now() >= deadline)
        stopReason = `the phase ran out of time (${(options.phaseTimeoutMs ?? PHASE_TIMEOUT_MS) / 1000} s)`;
    }
  } finally {
    await harness.cleanup();
  }
  const status = setupError ? 'error' : checks.every((check) => check.status === 'pass') ? 'pass' : 'fail';
  const result: PhaseResult = {
    phase: phase.number,
    title: phase.title,
    status,
    checks,
    error: setupError,
    durationMs: performance.now() - started,
  };
  reporter.phaseDone(phase, result);
  return result;
}

async function runCheck(phase: Phase, check: Check, harness: Harness, deadline: number): Promise<CheckResult | SetupError> {
  const base = { phase: phase.number, name: check.name, proves: check.proves };
  let timer: NodeJS.Timeout | undefined;
  const timeLeft = Math.max(0, deadline - Date.now());
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new CheckFailure({
          expected: `the check to finish within the phase's ${PHASE_TIMEOUT_MS / 1000} s`,
          received: `still waiting after: ${harness.transcript.at(-1) ?? 'the start'}`,
          explanation: 'something never answered: a handler that never calls callback, or a stream that never ends',
        }),
      );
    }, timeLeft);
  });
  try {
    await Promise.race([check.run(harness), timeout]);
    return { ...base, status: 'pass', transcript: harness.transcript };
  } catch (error) {
    if (error instanceof SetupError) return error;
    if (error instanceof NotRun) return { ...base, status: 'not-run', reason: error.reason, transcript: harness.transcript };
    const details =
      error instanceof CheckFailure
        ? error.details
        : {
            expected: 'the check to run',
            received: `the checker hit an error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          };
    return { ...base, status: 'fail', failure: { ...details, hint: details.hint ?? check.hint }, transcript: harness.transcript };
  } finally {
    clearTimeout(timer);
  }
}

function notRun(phase: Phase, check: Check, reason: string): CheckResult {
  return { phase: phase.number, name: check.name, proves: check.proves, status: 'not-run', reason, transcript: [] };
}
