// `npm run mutation [-- --phases all|1,2,3] [--files server.ts,client.ts] [--concurrency 2] [--dir <folder>]`
//
// Mutation testing of the reference, with the grader as the test: Stryker
// (@stryker-mutator/core) makes many small changes to solutions/*.ts (mutants:
// a condition turned to false, a statement removed, a string emptied), and the
// real grader grades each (scripts/mutation-grade.ts). A mutant the grader
// passes has survived: a mistake a learner could make that the grader would
// not notice, unless it changes nothing PHASES.md asks for (then it is listed,
// with the reason, in checker/MUTANTS.md).
//
// A measurement, not a test: `npm test` does not run it, and it takes long (one
// grader run per mutant). It prints the score and writes the survivors to
// .checker/mutation/survivors.md, each marked with its checker/MUTANTS.md entry
// or as not explained.
//
// Stryker runs in a scratch folder outside this checkout (--dir, by default one
// in the system's temporary folder) holding a copy of solutions/; the grader
// copies each mutated folder back into .checker/mutants/ to grade it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PHASES } from '../checker/phases/index.ts';
import { displayPath } from '../lib/display-path.ts';
import { REPO_ROOT } from '../lib/proto.ts';

/** The phases graded by default: every one the grader has. */
const DEFAULT_PHASES = 'all';
const SOLUTION_FILES = ['server.ts', 'interceptors.ts', 'client.ts', 'auth.ts'];
const EQUIVALENTS_FILE = path.join(REPO_ROOT, 'checker/MUTANTS.md');
const OUT_DIR = path.join(REPO_ROOT, '.checker/mutation');
/**
 * How long one grader run may take beyond Stryker's own estimate (1.5 × the
 * unmutated run). The grader bounds every check itself (8 s at most), so a slow
 * mutant ends by itself; this only catches a grader that hangs.
 */
const TIMEOUT_MS = 120_000;

const USAGE = 'usage: npm run mutation -- [--phases all|1,2,3] [--files server.ts,client.ts] [--concurrency 2] [--dir <folder>]';

interface Options {
  phases: number[];
  files: string[];
  concurrency: number;
  dir: string;
}

function readOptions(): Options | string {
  let values: { phases: string; files: string; concurrency: string; dir?: string };
  try {
    ({ values } = parseArgs({
      options: {
        phases: { type: 'string', default: DEFAULT_PHASES },
        files: { type: 'string', default: SOLUTION_FILES.join(',') },
        concurrency: { type: 'string', default: '2' },
        dir: { type: 'string' },
      },
    }));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const phases = values.phases === 'all' ? PHASES.map((phase) => phase.number) : values.phases.split(',').map(Number);
  const unknown = phases.filter((number) => !PHASES.some((phase) => phase.number === number));
  if (unknown.length > 0) return `--phases: no phase ${unknown.join(', ')} (the grader has ${PHASES.map((p) => p.number).join(', ')})`;
  const files = values.files.split(',');
  const notSolutions = files.filter((file) => !SOLUTION_FILES.includes(file));
  if (notSolutions.length > 0) return `--files: ${notSolutions.join(', ')} is not one of ${SOLUTION_FILES.join(', ')}`;
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) return `--concurrency must be a whole number from 1, got "${values.concurrency}"`;
  const rootHash = createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 8);
  const dir = path.resolve(values.dir ?? path.join(os.tmpdir(), `taskmanager-mutation-${rootHash}`));
  const inside = path.relative(REPO_ROOT, dir);
  if (!inside.startsWith('..') && !path.isAbsolute(inside)) return `--dir must be outside this checkout, got ${dir}`;
  return { phases, files, concurrency, dir };
}

/** One mutant of Stryker's JSON report (mutation-testing-report-schema), with the fields read here. */
interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  statusReason?: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}

interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

/**
 * How a mutant is named in checker/MUTANTS.md and in the survivors file: where,
 * which mutator, and what it puts there (one line, shortened), e.g.
 * solutions/server.ts:55:17 ConditionalExpression "false".
 */
function mutantKey(file: string, mutant: Mutant): string {
  const replacement = (mutant.replacement ?? '').replace(/\s+/g, ' ').trim();
  const shown = replacement.length > 60 ? `${replacement.slice(0, 60)}…` : replacement;
  return `${file}:${mutant.location.start.line}:${mutant.location.start.column} ${mutant.mutatorName} ${JSON.stringify(shown)}`;
}

/** The original text a mutant replaces, on one line. */
function originalText(source: string, mutant: Mutant): string {
  const lines = source.split('\n');
  const { start, end } = mutant.location;
  const text =
    start.line === end.line
      ? lines[start.line - 1]!.slice(start.column - 1, end.column - 1)
      : [
          lines[start.line - 1]!.slice(start.column - 1),
          ...lines.slice(start.line, end.line - 1),
          lines[end.line - 1]!.slice(0, end.column - 1),
        ].join(' ');
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 100 ? `${oneLine.slice(0, 100)}…` : oneLine;
}

/** The entries of checker/MUTANTS.md: each list item that names a mutant ("- `<key>` why"). */
function readEquivalents(): string[] {
  if (!existsSync(EQUIVALENTS_FILE)) return [];
  return readFileSync(EQUIVALENTS_FILE, 'utf8')
    .split('\n')
    .filter((line) => /^- `+solutions\//.test(line));
}

function runStryker(options: Options): Promise<number> {
  const { dir } = options;
  mkdirSync(path.join(dir, 'solutions'), { recursive: true });
  for (const file of SOLUTION_FILES) copyFileSync(path.join(REPO_ROOT, 'solutions', file), path.join(dir, 'solutions', file));
  rmSync(path.join(dir, 'reports'), { recursive: true, force: true });
  const quote = (text: string) => `"${text}"`;
  const tsx = import.meta.resolve('tsx/esm');
  const grade = path.join(REPO_ROOT, 'scripts/mutation-grade.ts');
  const config = {
    testRunner: 'command',
    // One grader run per mutant, on the sandbox's solutions/ (scripts/mutation-grade.ts).
    commandRunner: {
      command: [quote(process.execPath), '--import', quote(tsx), quote(grade), '--phases', options.phases.join(',')].join(' '),
    },
    mutate: options.files.map((file) => `solutions/${file}`),
    // Stryker would add // @ts-nocheck to every file it copies; the grader checks files it copies from them.
    disableTypeChecks: false,
    coverageAnalysis: 'off',
    concurrency: options.concurrency,
    timeoutMS: TIMEOUT_MS,
    symlinkNodeModules: false,
    reporters: ['progress-append-only', 'clear-text', 'json'],
    jsonReporter: { fileName: 'reports/mutation.json' },
    clearTextReporter: { allowColor: false, logTests: false },
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
  };
  writeFileSync(path.join(dir, 'stryker.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const stryker = path.join(path.dirname(fileURLToPath(import.meta.resolve('@stryker-mutator/core/package.json'))), 'bin/stryker.js');
  console.log(`Stryker in ${dir}: mutating ${config.mutate.join(', ')}; each mutant graded on phases ${options.phases.join(', ')}`);
  const child = spawn(process.execPath, [stryker, 'run', 'stryker.config.json'], {
    cwd: dir,
    // The grader runs in the sandbox, outside the checkout: tsx takes the checkout's compiler options.
    env: { ...process.env, TSX_TSCONFIG_PATH: path.join(REPO_ROOT, 'tsconfig.json') },
    stdio: 'inherit',
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

function summarise(options: Options, wallMs: number): void {
  const report = JSON.parse(readFileSync(path.join(options.dir, 'reports/mutation.json'), 'utf8')) as Report;
  const equivalents = readEquivalents();
  const count: Record<string, number> = {};
  const survivors: Array<{ key: string; original: string; entry: string | undefined }> = [];
  const matched = new Set<string>();
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    for (const mutant of mutants) {
      count[mutant.status] = (count[mutant.status] ?? 0) + 1;
      if (mutant.status !== 'Survived' && mutant.status !== 'NoCoverage') continue;
      const key = mutantKey(file, mutant);
      const entry = equivalents.find((line) => line.includes(key));
      if (entry) matched.add(entry);
      survivors.push({ key, original: originalText(source, mutant), entry });
    }
  }
  const detected = (count.Killed ?? 0) + (count.Timeout ?? 0);
  const valid = detected + survivors.length;
  const explained = survivors.filter((survivor) => survivor.entry).length;
  const stale = equivalents.filter((line) => !matched.has(line));
  const percent = (part: number, whole: number) => (whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)}%`);

  mkdirSync(OUT_DIR, { recursive: true });
  const lines = [
    `# Survivors of npm run mutation (${new Date().toISOString()})`,
    '',
    `Phases ${options.phases.join(', ')}; mutated ${options.files.join(', ')}. Killed ${detected} of ${valid} (${percent(detected, valid)}).`,
    'Each survivor: its key (copy it into checker/MUTANTS.md with the reason when it is equivalent), then the code it replaced.',
    '',
    ...survivors.map(
      ({ key, original, entry }) =>
        `- \`${key}\` replaces \`${original}\`: ${entry ? `equivalent (checker/MUTANTS.md)` : '**not explained**: add a check, or explain it in checker/MUTANTS.md'}`,
    ),
    ...(stale.length > 0 ? ['', 'Entries of checker/MUTANTS.md that match no survivor any more (remove them):', ...stale] : []),
    '',
  ];
  const survivorsFile = path.join(OUT_DIR, 'survivors.md');
  writeFileSync(survivorsFile, lines.join('\n'));
  copyFileSync(path.join(options.dir, 'reports/mutation.json'), path.join(OUT_DIR, 'mutation.json'));

  const others = Object.entries(count)
    .filter(([status]) => !['Killed', 'Timeout', 'Survived', 'NoCoverage'].includes(status))
    .map(([status, n]) => `${status} ${n}`);
  console.log('');
  console.log(
    `Mutation score: ${detected} of ${valid} mutants killed (${percent(detected, valid)}) in ${(wallMs / 60_000).toFixed(1)} min`,
  );
  console.log(
    `  killed ${count.Killed ?? 0}, timed out ${count.Timeout ?? 0}, survived ${survivors.length}${others.length ? `, ${others.join(', ')}` : ''}`,
  );
  console.log(
    `  survivors explained as equivalent in checker/MUTANTS.md: ${explained}; not explained: ${survivors.length - explained}` +
      ` (killed or equivalent: ${percent(detected + explained, valid)})`,
  );
  if (stale.length > 0)
    console.log(`  ${stale.length} entr${stale.length === 1 ? 'y' : 'ies'} of checker/MUTANTS.md match no survivor any more`);
  console.log(`Survivors: ${displayPath(survivorsFile)}; Stryker's report: ${displayPath(path.join(OUT_DIR, 'mutation.json'))}`);
}

const options = readOptions();
if (typeof options === 'string') {
  console.error(options);
  console.error(USAGE);
  process.exitCode = 2;
} else {
  const started = performance.now();
  const code = await runStryker(options);
  if (code !== 0 || !existsSync(path.join(options.dir, 'reports/mutation.json'))) {
    console.error(`Stryker ended with exit code ${code} and no report (see its output above)`);
    process.exitCode = 1;
  } else {
    summarise(options, performance.now() - started);
  }
}
