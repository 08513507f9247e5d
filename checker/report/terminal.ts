// What the learner reads in the terminal: a header per phase, ✔ per passing
// check, the rows of checker/report/render.ts for one that does not pass, and a
// progress line at the end.
import { createColors } from 'picocolors';
import { displayFile } from '../../lib/implementation.ts';
import type { Check, CheckResult, Phase, PhaseResult } from '../harness/phase.ts';
import { PHASES } from '../phases/index.ts';
import { type RunOptions, type RunOutcome, type RunReporter, runChecker } from '../run.ts';
import { failureRows, type Row, type Tone } from './render.ts';

/** How many lines of the learner's output a failure shows (all of it with --verbose, live). */
const MAX_OUTPUT_LINES = 10;

export interface TerminalOptions {
  colors: boolean;
  verbose: boolean;
  print: (line: string) => void;
  displayFile: (file: string) => string;
  /** How the learner runs a phase again, e.g. "npm run check -- --phase 2". */
  rerunCommand: (phase: number) => string;
}

export class TerminalReporter implements RunReporter {
  readonly #c: ReturnType<typeof createColors>;
  /** Not-run checks with the same reason, waiting to be printed as one group. */
  #pending: CheckResult[] = [];
  /** Setup errors already shown in this phase (the same one is said once). */
  #shownErrors = new Set<string>();

  constructor(readonly options: TerminalOptions) {
    this.#c = createColors(options.colors);
  }

  phaseStart(phase: Phase, starting: string | undefined): void {
    const c = this.#c;
    this.options.print(c.bold(c.cyan(`Phase ${phase.number} — ${phase.title}`)));
    if (starting) this.options.print(c.dim(starting));
    this.#shownErrors.clear();
  }

  checkStart(check: Check): void {
    if (this.options.verbose) this.options.print(this.#c.dim(`  … ${check.name}: ${check.proves}`));
  }

  checkDone(result: CheckResult): void {
    const c = this.#c;
    const notRunReason = result.status === 'not-run' || (result.status === 'error' && this.#shownErrors.has(result.reason ?? ''));
    if (!notRunReason || (this.#pending[0] && this.#pending[0].reason !== result.reason)) this.#flush();
    if (notRunReason) {
      this.#pending.push(result);
      return;
    }
    if (result.status === 'pass') {
      this.options.print(`  ${c.green('✔')} ${result.name}`);
      return;
    }
    if (result.status === 'error') this.#shownErrors.add(result.reason ?? '');
    this.options.print(`  ${c.red('✘')} ${c.bold(result.name)}`);
    for (const line of layOutRows(failureRows(result, this.options.displayFile), this.#c, '      ')) this.options.print(line);
    if (result.learnerOutput.length > 0 && !this.options.verbose && result.status === 'fail') {
      this.options.print(`      ${c.dim('Output of your code')}`);
      for (const line of result.learnerOutput.slice(-MAX_OUTPUT_LINES)) this.options.print(`      ${c.dim(`│ ${line}`)}`);
    }
  }

  /** Prints the waiting not-run checks: one reason, then their names. */
  #flush(): void {
    const group = this.#pending.splice(0);
    if (group.length === 0) return;
    const c = this.#c;
    const reason = group[0]!.status === 'error' ? 'the same code could not be run (above)' : group[0]!.reason;
    if (group.length === 1) {
      this.options.print(`  ${c.yellow('–')} ${group[0]!.name} ${c.dim(`(not run: ${reason})`)}`);
      return;
    }
    this.options.print(`  ${c.yellow('–')} ${c.dim(`not run, ${group.length} checks: ${reason}`)}`);
    for (const result of group) this.options.print(`      ${c.dim(result.name)}`);
  }

  phaseDone(phase: Phase, result: PhaseResult): void {
    this.#flush();
    const c = this.#c;
    const passed = result.checks.filter((check) => check.status === 'pass').length;
    const seconds = (result.durationMs / 1000).toFixed(1);
    if (result.status === 'pass') {
      this.options.print(c.green(`Phase ${phase.number}: all ${passed} checks passed`) + c.dim(` (${seconds} s)`));
    } else {
      const verdict = result.status === 'error' ? 'some of your code could not run' : `${passed}/${result.checks.length} checks passed`;
      this.options.print(
        `${c.red(`Phase ${phase.number}: ${verdict}`)}${c.dim(` (${seconds} s)`)}  Run again: ${c.bold(this.options.rerunCommand(phase.number))}`,
      );
    }
    this.options.print('');
  }

  /** The progress line: one mark per phase of `phases`. */
  progress(phases: readonly Phase[], results: PhaseResult[]): void {
    const c = this.#c;
    const parts = phases.map((phase) => {
      const result = results.find((r) => r.phase === phase.number);
      if (!result) return c.dim(`Phase ${phase.number} –`);
      if (result.status === 'pass') return c.green(`Phase ${phase.number} ✔`);
      if (result.status === 'error') return c.red(`Phase ${phase.number} ✘ error`);
      const passed = result.checks.filter((check) => check.status === 'pass').length;
      return c.red(`Phase ${phase.number} ✘ ${passed}/${result.checks.length}`);
    });
    this.options.print(parts.join(c.dim(' · ')));
  }
}

/** Rows as aligned terminal lines: label, then text (continuation lines indented as far). */
export function layOutRows(rows: Row[], c: ReturnType<typeof createColors>, indent: string): string[] {
  const paint: Record<Tone, (text: string) => string> = {
    expected: c.green,
    received: c.red,
    why: c.yellow,
    plain: (text) => text,
    dim: c.dim,
  };
  const lines: string[] = [];
  for (const row of rows) {
    const [first, ...rest] = row.text.split('\n');
    lines.push(`${indent}${c.dim(row.label.padEnd(9))} ${paint[row.tone](first!)}`);
    for (const line of rest) lines.push(`${indent}${' '.repeat(9)} ${paint[row.tone](line)}`);
  }
  return lines;
}

/** Runs the grader and reports in the terminal as it goes, ending with the progress line. */
export async function runInTerminal(
  options: Omit<RunOptions, 'reporter'> & Pick<TerminalOptions, 'colors' | 'rerunCommand'>,
): Promise<RunOutcome> {
  const reporter = new TerminalReporter({
    colors: options.colors,
    verbose: options.verbose,
    print: options.print,
    displayFile: (file) => displayFile(file, options.impl),
    rerunCommand: options.rerunCommand,
  });
  const outcome = await runChecker({ ...options, reporter });
  reporter.progress(PHASES, outcome.results);
  return outcome;
}
