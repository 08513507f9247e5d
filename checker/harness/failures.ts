// How a check ends when it does not pass. The fields are exactly what the learner
// reads (checker/report/render.ts lays them out, for the terminal, the hints and
// the JSON alike).

export interface FailureDetails {
  /** What the grader expected, in plain words. */
  expected: string;
  /** What it saw instead. */
  received: string;
  /** The RPC whose answer was wrong, to show as a grpcurl command. */
  sent?: { method: string; request: object };
  /** The common cause, in plain language (e.g. "this handler is still a TODO(human)"). */
  explanation?: string;
  /** Replaces the check's own hint when the failure points to a more precise fix. */
  hint?: string;
  /**
   * Replaces the check's own file when the mistake lives elsewhere (an
   * interceptor that swallows every answer fails a server check, but the fix is
   * in interceptors.ts). A file of the implementation ("server.ts") or of the repo.
   */
  file?: string;
  /**
   * The same cause fails every later check of the phase (an interceptor that
   * holds every answer): they are not run, with this reason, instead of each
   * waiting out its own deadline.
   */
  stopsPhase?: string;
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

/** Some of the learner's code could not be run at all (does not compile, never listens, crashes at start). */
export class SetupError extends Error {
  constructor(
    readonly summary: string,
    readonly outputLines: string[],
    readonly hint: string,
    /** The file that could not be run (server.ts, client.ts, …). */
    readonly file: string,
  ) {
    super(summary);
    this.name = 'SetupError';
  }
}
