// `npm run check [-- --phase N|all] [--impl exercises|solutions|<folder>] [--json] [--verbose]`
// Exit 0 when every selected check passes, 1 when one fails, 2 when the code could not be run.
// `--watch` checks again on every save (checker/watch.ts); `--hint` (`npm run hint`)
// prints the hint for the first check that does not pass (checker/hints.ts).
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { displayFolder } from '../lib/display-path.ts';
import { type Implementation, resolveImplementation } from '../lib/implementation.ts';
import { killAllChildren } from '../lib/process.ts';
import { showHint } from './hints.ts';
import { PHASES } from './phases/index.ts';
import { runChecker } from './run.ts';
import { watchCommand } from './watch.ts';

const USAGE = `usage: npm run check -- [--phase 1-${PHASES.length}|all] [--impl exercises|solutions|<folder>] [--json | --watch | --hint] [--verbose]`;

function fail(message: string): never {
  console.error(pc.red(message));
  console.error(USAGE);
  process.exit(2);
}

let values: { phase?: string; impl?: string; json?: boolean; verbose?: boolean; watch?: boolean; hint?: boolean; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      phase: { type: 'string', short: 'p' },
      impl: { type: 'string' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      watch: { type: 'boolean', short: 'w', default: false },
      hint: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const modes = (['json', 'watch', 'hint'] as const).filter((mode) => values[mode]);
if (modes.length > 1) fail(`--${modes[0]} and --${modes[1]} do not go together`);

const allPhases = PHASES.map((phase) => phase.number);
let phases = allPhases;
if (values.phase !== undefined && values.phase !== 'all') {
  const number = Number(values.phase);
  if (!allPhases.includes(number)) fail(`--phase must be 1 to ${PHASES.length} or all, got "${values.phase}"`);
  phases = [number];
}

let impl: Implementation;
try {
  impl = resolveImplementation(values.impl);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

const implFlag = values.impl && values.impl !== 'exercises' ? ` --impl ${values.impl}` : '';
const stopAtFirstFailure = values.phase === undefined;
const colors = pc.isColorSupported;

if (values.watch) {
  await watchCommand({ phases, stopAtFirstFailure, impl, verbose: values.verbose ?? false, colors });
}

// Ctrl+C: stop every process the checker started before leaving.
process.once('SIGINT', () => {
  killAllChildren();
  process.exit(130);
});

if (values.hint) {
  // Quietly: the hint prints only the failure it is about.
  console.log(pc.dim(`Checking ${stopAtFirstFailure ? 'your current phase' : `Phase ${values.phase}`}…`));
  const { results } = await runChecker({
    phases,
    stopAtFirstFailure,
    impl,
    verbose: false,
    json: false,
    colors,
    print: () => {},
    rerunCommand: (phase) => `npm run check -- --phase ${phase}${implFlag}`,
  });
  const flags = [values.phase === undefined ? '' : `--phase ${values.phase}`, implFlag.trim()].filter(Boolean);
  const again = `npm run hint${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`;
  showHint(results, impl, { colors, print: (line) => console.log(line), askAgain: `Run ${again} again` });
  process.exit(0);
}

if (stopAtFirstFailure && !values.json) printOverview();
const { exitCode } = await runChecker({
  phases,
  stopAtFirstFailure,
  impl,
  verbose: values.verbose ?? false,
  json: values.json ?? false,
  colors,
  print: (line) => console.log(line),
  rerunCommand: (phase) => `npm run check -- --phase ${phase}${implFlag}`,
});
process.exit(exitCode);

/** One line per phase before a full run: where the learner is going, and the files of each step. */
function printOverview(): void {
  const width = Math.max(...PHASES.map((phase) => phase.title.length));
  const folder = displayFolder(impl.dir);
  console.log(pc.dim(`The phases, graded in order; the first that does not pass is yours (files in ${folder}):`));
  for (const phase of PHASES) {
    const files = phase.files.map((file) => (file.startsWith('exercises/') ? file.slice('exercises/'.length) : file)).join(', ');
    console.log(pc.dim(`  ${phase.number}  ${phase.title.padEnd(width)}  ${files}`));
  }
  console.log('');
}
