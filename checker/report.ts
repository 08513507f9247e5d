// What the learner reads: a header per phase, ✔ per passing check, and for a
// failure what was sent, expected and received, why, the hint, a grpcurl
// command, and how to run it again. --json prints Exercism's results.json v3.
import { createColors } from 'picocolors';
import { DIAGNOSTICS_PATTERN, LISTENING_PATTERN } from '../lib/server-runtime.ts';
import { grpcurlCommand } from './explain.ts';
import { PHASES } from './phases/index.ts';
import type { CheckerOptions } from './run.ts';
import type { Check, CheckResult, Phase, PhaseResult, SetupError } from './types.ts';

const PROCESS_OUTPUT = /^\[your (server|client|interceptor)\] /;
const MAX_OUTPUT_LINES = 10;

export class Reporter {
  readonly #c: ReturnType<typeof createColors>;
  readonly #options: CheckerOptions;

  constructor(options: CheckerOptions) {
    this.#options = options;
    this.#c = createColors(options.colors);
  }

  #print(line = ''): void {
    if (!this.#options.json) this.#options.print(line);
  }

  phaseStart(phase: Phase, starting: string | undefined): void {
    const c = this.#c;
    this.#print(c.bold(c.cyan(`Phase ${phase.number} — ${phase.title}`)));
    if (starting) this.#print(c.dim(starting));
  }

  checkStart(check: Check): void {
    if (this.#options.verbose) this.#print(this.#c.dim(`  … ${check.name}: ${check.proves}`));
  }

  checkDone(result: CheckResult): void {
    const c = this.#c;
    if (result.status === 'pass') {
      this.#print(`  ${c.green('✔')} ${result.name}`);
      return;
    }
    if (result.status === 'not-run') {
      this.#print(`  ${c.yellow('–')} ${result.name} ${c.dim(`(not run: ${result.reason})`)}`);
      return;
    }
    const failure = result.failure!;
    this.#print(`  ${c.red('✘')} ${c.bold(result.name)}`);
    const row = (label: string, text: string, paint: (s: string) => string = (s) => s) => {
      const [first, ...rest] = text.split('\n');
      this.#print(`      ${c.dim(label.padEnd(9))} ${paint(first!)}`);
      for (const line of rest) this.#print(`      ${' '.repeat(9)} ${paint(line)}`);
    };
    if (failure.sent) row('Sent', `${failure.sent.method} ${JSON.stringify(failure.sent.request)}`);
    row('Expected', failure.expected, c.green);
    row('Received', failure.received, c.red);
    if (failure.explanation) row('Why', failure.explanation, c.yellow);
    row('Hint', failure.hint);
    if (failure.sent) row('Try it', grpcurlCommand(failure.sent.method, failure.sent.request), c.dim);
    const output = result.transcript.filter((line) => {
      const text = line.replace(PROCESS_OUTPUT, '');
      return PROCESS_OUTPUT.test(line) && !DIAGNOSTICS_PATTERN.test(text) && !LISTENING_PATTERN.test(text);
    });
    if (output.length > 0 && !this.#options.verbose) {
      this.#print(`      ${c.dim('Output')}`);
      for (const line of output.slice(-MAX_OUTPUT_LINES)) this.#print(`        ${c.dim(line)}`);
    }
  }

  setupError(error: SetupError): void {
    const c = this.#c;
    this.#print(`  ${c.red('✘')} ${c.bold(`Could not run your code: ${error.summary}`)}`);
    for (const line of error.outputLines) this.#print(`      ${c.dim(line)}`);
    this.#print(`      ${c.dim('Hint'.padEnd(9))} ${error.hint}`);
  }

  phaseDone(phase: Phase, result: PhaseResult): void {
    const c = this.#c;
    const passed = result.checks.filter((check) => check.status === 'pass').length;
    const seconds = (result.durationMs / 1000).toFixed(1);
    if (result.status === 'pass') {
      this.#print(c.green(`Phase ${phase.number}: all ${passed} checks passed`) + c.dim(` (${seconds} s)`));
    } else {
      // A phase that could not start ran none of its checks: list them once.
      if (result.status === 'error') {
        for (const check of result.checks) this.#print(`  ${c.yellow('–')} ${check.name} ${c.dim('(not run)')}`);
      }
      const verdict = result.status === 'error' ? 'could not run' : `${passed}/${result.checks.length} checks passed`;
      this.#print(
        c.red(`Phase ${phase.number}: ${verdict}`) +
          c.dim(` (${seconds} s)`) +
          `  Run again: ${c.bold(this.#options.rerunCommand(phase.number))}`,
      );
    }
    this.#print();
  }

  finish(results: PhaseResult[], exitCode: number): void {
    if (this.#options.json) {
      this.#options.print(JSON.stringify(toExercismResults(results, exitCode), null, 2));
      return;
    }
    const c = this.#c;
    const parts = PHASES.map((phase) => {
      const result = results.find((r) => r.phase === phase.number);
      if (!result) return c.dim(`Phase ${phase.number} –`);
      if (result.status === 'pass') return c.green(`Phase ${phase.number} ✔`);
      if (result.status === 'error') return c.red(`Phase ${phase.number} ✘ error`);
      const passed = result.checks.filter((check) => check.status === 'pass').length;
      return c.red(`Phase ${phase.number} ✘ ${passed}/${result.checks.length}`);
    });
    this.#print(parts.join(c.dim(' · ')));
  }
}

/** Exercism test-runner results.json, version 3; the phase is the task_id. */
export function toExercismResults(results: PhaseResult[], exitCode: number) {
  const errored = results.find((result) => result.error);
  return {
    version: 3,
    status: exitCode === 0 ? 'pass' : exitCode === 2 ? 'error' : 'fail',
    ...(errored?.error ? { message: [errored.error.summary, ...errored.error.outputLines, `Hint: ${errored.error.hint}`].join('\n') } : {}),
    tests: results.flatMap((result) =>
      result.checks.map((check) => ({
        name: `Phase ${check.phase}: ${check.name}`,
        test_code: check.proves,
        status: check.status === 'pass' ? 'pass' : check.status === 'fail' ? 'fail' : 'error',
        message:
          check.status === 'pass'
            ? null
            : check.failure
              ? [
                  check.failure.sent && `Sent: ${check.failure.sent.method} ${JSON.stringify(check.failure.sent.request)}`,
                  `Expected: ${check.failure.expected}`,
                  `Received: ${check.failure.received}`,
                  check.failure.explanation && `Why: ${check.failure.explanation}`,
                  `Hint: ${check.failure.hint}`,
                ]
                  .filter(Boolean)
                  .join('\n')
              : `Not run: ${check.reason}`,
        output: check.transcript.length > 0 ? check.transcript.join('\n') : null,
        task_id: check.phase,
      })),
    ),
  };
}
