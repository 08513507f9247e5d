// The shapes of the checker: a phase is a list of checks; a check passes or
// throws a CheckFailure whose fields are exactly what the learner reads.
import type { Harness } from './harness.ts';

export interface Check {
  /** What the learner sees next to ✔ or ✘. */
  name: string;
  /** One sentence: what passing this check proves (shown with --verbose and in --json). */
  proves: string;
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
  /** The files the learner edits for this phase, named in messages. */
  files: string[];
  checks: Check[];
  /** Start what the checks need in parallel before the first check runs. */
  prepare?(harness: Harness): void;
  /** Phase 5: the learner's server requires a (fresh, random) bearer token. */
  requiresToken?: boolean;
  /** Printed at once when the phase starts, so the wait never feels silent. */
  starting?(harness: Harness): string;
}

export interface FailureDetails {
  /** What the checker expected, in plain words. */
  expected: string;
  /** What it saw instead. */
  received: string;
  /** The RPC whose answer was wrong, to show as a grpcurl command. */
  sent?: { method: string; request: object };
  /** The common cause, in plain language (e.g. "this handler is still a TODO(human)"). */
  explanation?: string;
  /** Replaces the check's own hint when the failure points to a more precise fix. */
  hint?: string;
}

/** A wrong answer from the learner's code: the check fails, the phase goes on. */
export class CheckFailure extends Error {
  constructor(readonly details: FailureDetails) {
    super(`expected ${details.expected}, received ${details.received}`);
    this.name = 'CheckFailure';
  }
}

/** A check that could not run because something it builds on failed; it counts as failed. */
export class NotRun extends Error {
  constructor(readonly reason: string) {
    super(`not run: ${reason}`);
    this.name = 'NotRun';
  }
}

/** The learner's code could not be run at all (does not compile, never listens, crashes at start). */
export class SetupError extends Error {
  constructor(
    readonly summary: string,
    readonly outputLines: string[],
    readonly hint: string,
  ) {
    super(summary);
    this.name = 'SetupError';
  }
}

/** not-run: a check skipped because something it builds on failed first (counts as failed). */
export type CheckStatus = 'pass' | 'fail' | 'not-run';

export interface CheckResult {
  phase: number;
  name: string;
  proves: string;
  status: CheckStatus;
  failure?: FailureDetails & { hint: string };
  /** Why a not-run check did not run. */
  reason?: string;
  /** The transcript of this check (requests, responses, server output). */
  transcript: string[];
}

export interface PhaseResult {
  phase: number;
  title: string;
  status: 'pass' | 'fail' | 'error' | 'not-run';
  checks: CheckResult[];
  error?: SetupError;
  durationMs: number;
}
