// What to do next, and hints on two levels (like rustlings' `hint`): `npm run hint`
// (or `npm run check -- --hint`) runs the current phase quietly and prints the
// hint of the first check that does not pass; asked again for the same check, it
// adds the check's `moreHint`. Watch mode uses the same "next step" after each run.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createColors } from 'picocolors';
import { displayPath } from '../lib/display-path.ts';
import type { Implementation } from '../lib/implementation.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { PHASES } from './phases/index.ts';
import type { Check, CheckResult, Phase, PhaseResult } from './types.ts';

/** Where the checker keeps its small state (hints asked, reset backups); git-ignored. Tests point it elsewhere. */
export const STATE_DIR_ENV = 'CHECKER_STATE_DIR';

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env[STATE_DIR_ENV] || path.join(REPO_ROOT, '.checker');
}

/** The first thing that does not pass: a failing check, or a phase that could not start. */
export interface NextStep {
  phase: Phase;
  result: PhaseResult;
  /** The first check that failed (or, if none failed, the first that did not run); undefined when the phase could not start. */
  check?: CheckResult;
  /** The check's definition (for its hints). */
  definition?: Check;
  /** The file to edit, as the phase names it (exercises/server.ts, protos/task_manager.proto). */
  phaseFile: string;
  /** The same file as the learner sees it (with --impl, the file in that folder). */
  file: string;
  /** Every file of the phase, the same way. */
  files: string[];
}

/** A phase's file as the learner sees it: exercises/x.ts is the implementation folder's x.ts. */
export function displayFile(file: string, impl: Implementation): string {
  if (!file.startsWith('exercises/')) return displayPath(path.join(REPO_ROOT, file));
  return displayPath(path.join(impl.dir, file.slice('exercises/'.length)));
}

/** The phase file a text names (`server.ts installs…`, `…(client.ts)`), else the phase's first file. */
function fileNamedIn(phase: Phase, text: string): string {
  return phase.files.find((file) => text.includes(path.posix.basename(file))) ?? phase.files[0] ?? '';
}

/** What the learner should fix next, from the results of a run; undefined when every phase run passed. */
export function nextStep(results: PhaseResult[], impl: Implementation, phases: readonly Phase[] = PHASES): NextStep | undefined {
  const result = results.find((candidate) => candidate.status !== 'pass');
  const phase = result && phases.find((candidate) => candidate.number === result.phase);
  if (!result || !phase) return undefined;
  const files = phase.files.map((file) => displayFile(file, impl));
  if (result.status === 'error' || !result.checks.some((check) => check.status !== 'pass')) {
    const phaseFile = fileNamedIn(phase, result.error?.summary ?? '');
    return { phase, result, phaseFile, file: displayFile(phaseFile, impl), files };
  }
  const check = result.checks.find((c) => c.status === 'fail') ?? result.checks.find((c) => c.status === 'not-run')!;
  const definition = phase.checks.find((c) => c.name === check.name);
  const phaseFile = fileNamedIn(phase, check.name);
  return { phase, result, check, definition, phaseFile, file: displayFile(phaseFile, impl), files };
}

// ---- "Asked before": a small JSON file keyed by phase and check ----

type AskedState = Record<string, number>;

function stateFile(dir: string): string {
  return path.join(dir, 'hints.json');
}

function readAsked(dir: string): AskedState {
  try {
    const parsed: unknown = JSON.parse(readFileSync(stateFile(dir), 'utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as AskedState) : {};
  } catch {
    return {}; // none yet, or unreadable: start again at the first level
  }
}

/** The key of a step in the state file: the phase and the check (or "setup" when the phase could not start). */
export function hintKey(step: NextStep): string {
  return `${step.phase.number}: ${step.check?.name ?? 'setup'}`;
}

/** How many times this hint was asked before now (0 the first time), and remembers this time. */
export function recordAsked(step: NextStep, dir: string = stateDir()): number {
  const asked = readAsked(dir);
  const key = hintKey(step);
  const before = typeof asked[key] === 'number' ? asked[key] : 0;
  asked[key] = before + 1;
  try {
    mkdirSync(dir, { recursive: true });
    const temporary = `${stateFile(dir)}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(asked, null, 2)}\n`);
    renameSync(temporary, stateFile(dir)); // whole or not at all, even if two hints run at once
  } catch {
    // A read-only checkout: the hint still prints, only the second level needs asking again.
  }
  return before;
}

// ---- Printing ----

export interface HintPrintOptions {
  colors: boolean;
  print: (line: string) => void;
  /** 1: the hint; 2: the hint and the more detailed one. */
  level: 1 | 2;
  /** How to ask again, as a sentence start: "Run npm run hint again", "Press h again". */
  askAgain: string;
  /** Wrap hints at this many columns (default: the terminal's, at most 100). */
  width?: number;
}

/** Words of `text` in lines of at most `width` columns, the first after `label`, the others indented as far. */
export function wrap(label: string, text: string, width: number): string[] {
  const indent = ' '.repeat(label.length);
  const lines: string[] = [];
  let line = label;
  let empty = true;
  for (const word of text.split(/ +/)) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line += empty ? word : ` ${word}`;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

/** Prints the failure the hint is about, then the hint (and, at level 2, the more detailed hint). */
export function printHint(step: NextStep, options: HintPrintOptions): void {
  const c = createColors(options.colors);
  const { print } = options;
  const row = (label: string, text: string, paint: (s: string) => string = (s) => s) => {
    const [first, ...rest] = text.split('\n');
    print(`  ${c.dim(label.padEnd(9))} ${paint(first!)}`);
    for (const line of rest) print(`  ${' '.repeat(9)} ${paint(line)}`);
  };
  const passed = step.result.checks.filter((check) => check.status === 'pass').length;
  print(
    c.bold(c.cyan(`Phase ${step.phase.number} — ${step.phase.title}`)) +
      c.dim(step.result.status === 'error' ? ' (could not run)' : ` (${passed}/${step.result.checks.length} checks pass)`),
  );
  print(`Edit ${c.bold(step.file)}${step.files.length > 1 ? c.dim(`  (this phase: ${step.files.join(', ')})`) : ''}`);
  print('');

  const { check, definition } = step;
  let hint: string;
  let moreHint: string | undefined;
  if (!check) {
    const error = step.result.error;
    print(`${c.red('✘')} ${c.bold(`Could not run your code: ${error?.summary ?? 'the phase did not start'}`)}`);
    for (const line of error?.outputLines.slice(0, 8) ?? []) print(`    ${c.dim(line)}`);
    hint = error?.hint ?? 'run the file yourself to see why it does not start';
    moreHint =
      'Run it on its own to see the whole error: `npm run server` starts exercises/server.ts, `npm run client` runs exercises/client.ts, and `npm run typecheck` lists every compile error with its line';
  } else {
    print(`${c.red('✘')} ${c.bold(check.name)}`);
    if (check.status === 'not-run') row('Not run', check.reason ?? 'something it needs failed first', c.yellow);
    if (check.failure) {
      row('Expected', check.failure.expected, c.green);
      row('Received', check.failure.received, c.red);
      if (check.failure.explanation) row('Why', check.failure.explanation, c.yellow);
    }
    hint = check.failure?.hint ?? definition?.hint ?? 'read the check’s name: it says what is expected';
    moreHint = definition?.moreHint;
  }
  print('');
  const width = options.width ?? Math.min(process.stdout.columns || 100, 100);
  const paragraph = (label: string, text: string) => {
    const [first, ...rest] = wrap(`${label}  `, text, width);
    print(c.bold(label) + first!.slice(label.length));
    for (const line of rest) print(line);
  };
  paragraph('Hint', hint);
  if (options.level === 1) {
    print('');
    print(c.dim(`Still stuck? ${options.askAgain} for a more detailed hint.`));
    return;
  }
  if (moreHint) {
    print('');
    paragraph('More', moreHint);
  }
  if (definition?.proves) print(c.dim(`      (passing it proves: ${definition.proves})`));
  print('');
  const reference = step.phaseFile.startsWith('exercises/')
    ? `npm run solution -- --diff ${path.posix.basename(step.phaseFile)}`
    : undefined;
  print(
    c.dim(
      reference
        ? `Compare with the reference: ${reference}  (or read PHASES.md, Phase ${step.phase.number})`
        : `Read PHASES.md, Phase ${step.phase.number}, and see the finished service run: npm run solution`,
    ),
  );
}

/** The whole `--hint` command once the run is done: picks the step, the level, and prints. */
export function showHint(
  results: PhaseResult[],
  impl: Implementation,
  options: { colors: boolean; print: (line: string) => void; askAgain: string; stateDir?: string },
): void {
  const c = createColors(options.colors);
  const step = nextStep(results, impl);
  if (!step) {
    const phases = results.map((result) => result.phase).join(', ');
    options.print(c.green(`✔ Phase${results.length === 1 ? '' : 's'} ${phases} pass${results.length === 1 ? 'es' : ''}: nothing to hint.`));
    return;
  }
  const before = recordAsked(step, options.stateDir);
  printHint(step, { colors: options.colors, print: options.print, level: before === 0 ? 1 : 2, askAgain: options.askAgain });
}
