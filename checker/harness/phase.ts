// The shapes of the grader: a phase is a list of checks; a check passes or throws
// a CheckFailure, a NotRun or a SetupError (failures.ts). A phase lives in its
// own folder under checker/phases/ and is registered by one line in
// checker/phases/index.ts.
import type { FailureDetails, SetupError } from './failures.ts';
import type { Harness } from './harness.ts';

export interface Check {
  /** What the learner sees next to ✔ or ✘. */
  name: string;
  /** One sentence: what passing this check proves (shown with --verbose and in --json). */
  proves: string;
  /**
   * The file this check grades, where the learner edits when it fails: a file of
   * the implementation folder ("server.ts") or a path in the repo
   * ("protos/task_manager.proto"). A failure may name another (FailureDetails.file).
   */
  file: string;
  /** The default hint: the API that fixes a failure. A failure may give a sharper one. */
  hint: string;
  /**
   * The second, more detailed hint (`npm run hint` asked again for this check):
   * the exact API and a small code shape, never the whole solution.
   */
  moreHint?: string;
  run(harness: Harness): Promise<void>;
}

export interface Phase {
  number: number;
  title: string;
  checks: Check[];
  /** Start what the checks need before the first check runs (while the phase before runs). */
  prepare?(harness: Harness): void;
  /** Printed at once when the phase starts, so the wait never feels silent. */
  starting?(harness: Harness): string;
}

/** The files a phase grades, in the order its checks name them. */
export function phaseFiles(phase: Phase): string[] {
  return [...new Set(phase.checks.map((check) => check.file))];
}

/** not-run: a check skipped because something it builds on failed first (counts as failed). */
export type CheckStatus = 'pass' | 'fail' | 'not-run' | 'error';

export interface CheckResult {
  phase: number;
  name: string;
  proves: string;
  /** Where to edit: the check's file, or the one its failure names. */
  file: string;
  status: CheckStatus;
  failure?: FailureDetails & { hint: string };
  /** Why a not-run check did not run. */
  reason?: string;
  /** The code that could not be run (status 'error'). */
  error?: SetupError;
  /** The transcript of this check (requests, responses, process output). */
  transcript: string[];
  /** What the learner's own code printed during this check. */
  learnerOutput: string[];
}

export interface PhaseResult {
  phase: number;
  title: string;
  status: 'pass' | 'fail' | 'error';
  checks: CheckResult[];
  durationMs: number;
}
