// `npm run reset -- <file>|--all [--yes]`: puts exercises/<file> back to the
// skeleton it was when you started, after asking. Your version is kept in
// .checker/backups/<time>/ first, so a reset can be undone by copying it back.
// A file that differs from its skeleton only in line endings (CRLF, as Windows
// editors may save it) counts as the skeleton: nothing to reset.
//
// The skeletons come from checker/pristine/<file>.txt, byte-identical copies of
// exercises/ as published (test/reset.test.ts proves it), never from git: a
// reset must not touch anything else (git checkout/restore could), and a zip
// download has no git. Maintainers who change a skeleton re-record them with
// `node --import tsx/esm scripts/record-pristine.ts`.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { stateDir } from '../checker/hints.ts';
import { isEntryPoint } from '../lib/cli.ts';
import { countChanges, diffLines, splitLines } from '../lib/diff.ts';
import { displayFolder, displayPath } from '../lib/display-path.ts';
import { comparableText } from '../lib/line-endings.ts';
import { REPO_ROOT } from '../lib/proto.ts';

export const PRISTINE_DIR = path.join(REPO_ROOT, 'checker/pristine');
export const PRISTINE_SUFFIX = '.txt';
const EXERCISES_DIR = path.join(REPO_ROOT, 'exercises');
const USAGE = 'usage: npm run reset -- <file>... | --all  [--yes]';

/** The skeleton files that can be reset, e.g. ["client.ts", "interceptors.ts", "server.ts"]. */
export function pristineNames(pristineDir: string = PRISTINE_DIR): string[] {
  return readdirSync(pristineDir)
    .filter((name) => name.endsWith(PRISTINE_SUFFIX))
    .map((name) => name.slice(0, -PRISTINE_SUFFIX.length))
    .sort();
}

/** The skeleton's exact bytes. */
export function pristineContent(name: string, pristineDir: string = PRISTINE_DIR): Buffer {
  return readFileSync(path.join(pristineDir, `${name}${PRISTINE_SUFFIX}`));
}

/** "server.ts", "exercises/server.ts", "./exercises/server.ts" or "server" → "server.ts"; undefined if it is no skeleton. */
export function skeletonName(argument: string, names: readonly string[]): string | undefined {
  const base = path.basename(argument.replaceAll('\\', '/'));
  return names.find((name) => name === base || name === `${base}.ts`);
}

export interface PlannedReset {
  name: string;
  file: string;
  /** undefined when the file is missing (it is then simply restored). */
  current: Buffer | undefined;
  pristine: Buffer;
  removed: number;
  added: number;
}

/** What resetting `names` in `dir` would change: only the files whose text differs from their skeleton (line endings aside). */
export function planReset(names: readonly string[], dir: string, pristineDir: string = PRISTINE_DIR): PlannedReset[] {
  return names.flatMap((name) => {
    const file = path.join(dir, name);
    const pristine = pristineContent(name, pristineDir);
    const current = existsSync(file) ? readFileSync(file) : undefined;
    const skeletonText = comparableText(pristine);
    const currentText = current === undefined ? undefined : comparableText(current);
    if (currentText === skeletonText) return [];
    const { removed, added } = countChanges(diffLines(splitLines(skeletonText), splitLines(currentText ?? '')));
    return [{ name, file, current, pristine, removed, added }];
  });
}

/** Copies the current file (if any) to `backupDir`, then writes the skeleton over it. Returns the backup made, if any. */
export function resetFile(entry: PlannedReset, backupDir: string): string | undefined {
  let backup: string | undefined;
  if (entry.current !== undefined) {
    mkdirSync(backupDir, { recursive: true });
    backup = path.join(backupDir, entry.name);
    copyFileSync(entry.file, backup);
  }
  writeFileSync(entry.file, entry.pristine);
  return backup;
}

/** resetFile for each entry of the plan, in order. Returns the backups made. */
export function applyReset(plan: readonly PlannedReset[], backupDir: string): string[] {
  return plan.flatMap((entry) => resetFile(entry, backupDir) ?? []);
}

/** A folder name for this moment: 2026-01-31T09-30-00 (no colons, for Windows). */
export function backupFolderName(now: Date = new Date()): string {
  return now.toISOString().slice(0, 19).replaceAll(':', '-');
}

async function main(argv: string[]): Promise<number> {
  let values: { all?: boolean; yes?: boolean; dir?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        all: { type: 'boolean', default: false },
        yes: { type: 'boolean', short: 'y', default: false },
        // The folder to reset (default exercises/); the tests reset a copy.
        dir: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(pc.red(error instanceof Error ? error.message : String(error)));
    console.error(USAGE);
    return 2;
  }
  const names = pristineNames();
  if (values.help) {
    console.log(`${USAGE}\n  files: ${names.join(', ')}`);
    return 0;
  }
  if (values.all === positionals.length > 0) {
    console.error(pc.red(values.all ? 'give either --all or file names, not both' : 'which file? Name one or more, or --all'));
    console.error(`${USAGE}\n  files: ${names.join(', ')}`);
    return 2;
  }
  const chosen: string[] = [];
  for (const argument of values.all ? names : positionals) {
    const name = skeletonName(argument, names);
    if (!name) {
      console.error(pc.red(`"${argument}" is not an exercise file; the files are ${names.join(', ')}`));
      return 2;
    }
    if (!chosen.includes(name)) chosen.push(name);
  }

  const dir = values.dir ? path.resolve(values.dir) : EXERCISES_DIR;
  const plan = planReset(chosen, dir);
  for (const name of chosen.filter((n) => !plan.some((entry) => entry.name === n))) {
    console.log(pc.dim(`${displayPath(path.join(dir, name))} is already the skeleton`));
  }
  if (plan.length === 0) return 0;

  // Each message says what has happened by the time it prints: the plan is a question
  // until it is confirmed, and a backup is announced once it exists.
  const backupDir = path.join(stateDir(), 'backups', backupFolderName());
  const saves = plan.some((entry) => entry.current !== undefined);
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  if (!values.yes && !interactive) {
    console.error(pc.red('Not resetting: nobody can confirm here (no terminal). Nothing was changed or saved.'));
    console.error(`It would have reset: ${plan.map((entry) => displayPath(entry.file)).join(', ')}`);
    console.error('Run it in a terminal, or add --yes.');
    return 1;
  }
  console.log(values.yes ? 'Putting back the skeleton of:' : 'Resetting puts back the skeleton of:');
  for (const entry of plan) {
    const change =
      entry.current === undefined ? 'missing' : `your version: ${pc.green(`+${entry.added}`)} ${pc.red(`-${entry.removed}`)} lines`;
    console.log(`  ${pc.bold(displayPath(entry.file))}  ${pc.dim(`(${change})`)}`);
  }
  if (!values.yes) {
    if (saves) console.log(pc.dim(`Your version will be saved first in ${displayFolder(backupDir)}`));
    const prompt = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await prompt.question(`Reset ${plan.length === 1 ? 'it' : `these ${plan.length} files`}? [y/N] `);
    prompt.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      console.log('Nothing was changed or saved.');
      return 0;
    }
  }

  for (const [index, entry] of plan.entries()) {
    try {
      resetFile(entry, backupDir);
    } catch (error) {
      console.error(pc.red(`✘ Could not reset ${displayPath(entry.file)}: ${error instanceof Error ? error.message : String(error)}`));
      const untried = plan.slice(index + 1).map((other) => displayPath(other.file));
      if (untried.length > 0) console.error(`Not tried: ${untried.join(', ')}`);
      const saved = existsSync(backupDir) ? readdirSync(backupDir) : [];
      if (saved.length > 0) console.error(`Saved in ${displayFolder(backupDir)} before that: ${saved.join(', ')}`);
      return 1;
    }
    console.log(`${pc.green('✔')} ${displayPath(entry.file)} is the skeleton again`);
  }
  if (saves) console.log(pc.dim(`Your version was saved in ${displayFolder(backupDir)}`));
  return 0;
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
