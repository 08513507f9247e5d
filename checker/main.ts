// `npm run check [-- --phase N|all] [--impl exercises|solutions|<folder>] [--json] [--verbose]`
// Exit 0 when every selected check passes, 1 when one fails, 2 when the code could
// not be run (or the command line is wrong). `--watch` checks again on every save
// (checker/watch.ts); `--hint` (`npm run hint`) prints the hint for the first check
// that does not pass (checker/hints.ts).
//
// Output through a pipe is output: this program never calls process.exit() with
// output pending; it sets process.exitCode and lets the process end.
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { exitAfterOutput, stopQuietlyWhenOutputCloses } from '../lib/cli.ts';
import { displayFolder } from '../lib/display-path.ts';
import { displayFile, type Implementation, resolveImplementation } from '../lib/implementation.ts';
import { killAllChildren } from '../lib/process.ts';
import { phaseFiles } from './harness/phase.ts';
import { showHint } from './hints.ts';
import { PHASES } from './phases/index.ts';
import { toExercismResults } from './report/results-json.ts';
import { runInTerminal } from './report/terminal.ts';
import { runChecker } from './run.ts';
import { watchCommand } from './watch.ts';

const USAGE = `usage: npm run check -- [--phase 1-${PHASES.length}|all] [--impl exercises|solutions|<folder>] [--json | --watch | --hint] [--verbose]`;

/** The command line, or the one line that says what is wrong with it. */
function readCommandLine():
  | { phases: number[]; stopAtFirstFailure: boolean; impl: Implementation; implFlag: string; values: Values }
  | string {
  let values: Values;
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
    return error instanceof Error ? error.message : String(error);
  }
  const modes = (['json', 'watch', 'hint'] as const).filter((mode) => values[mode]);
  if (modes.length > 1) return `--${modes[0]} and --${modes[1]} do not go together`;
  const allPhases = PHASES.map((phase) => phase.number);
  let phases = allPhases;
  if (values.phase !== undefined && values.phase !== 'all') {
    const number = Number(values.phase);
    if (!allPhases.includes(number)) return `--phase must be 1 to ${PHASES.length} or all, got "${values.phase}"`;
    phases = [number];
  }
  let impl: Implementation;
  try {
    impl = resolveImplementation(values.impl);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const implFlag = values.impl && values.impl !== 'exercises' ? ` --impl ${values.impl}` : '';
  return { phases, stopAtFirstFailure: values.phase === undefined, impl, implFlag, values };
}

interface Values {
  phase?: string;
  impl?: string;
  json?: boolean;
  verbose?: boolean;
  watch?: boolean;
  hint?: boolean;
  help?: boolean;
}

/** One line per phase before a full run: where the learner is going, and the files of each phase. */
function printOverview(impl: Implementation): void {
  const width = Math.max(...PHASES.map((phase) => phase.title.length));
  const folder = displayFolder(impl.dir);
  console.log(pc.dim(`The phases, graded in order; the first that does not pass is yours (files in ${folder}):`));
  for (const phase of PHASES) console.log(pc.dim(`  ${phase.number}  ${phase.title.padEnd(width)}  ${phaseFiles(phase).join(', ')}`));
  console.log('');
}

async function main(): Promise<void> {
  stopQuietlyWhenOutputCloses();
  const commandLine = readCommandLine();
  if (typeof commandLine === 'string') {
    console.error(pc.red(commandLine));
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const { phases, stopAtFirstFailure, impl, implFlag, values } = commandLine;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const colors = pc.isColorSupported;
  const verbose = values.verbose ?? false;
  const rerunCommand = (phase: number) => `npm run check -- --phase ${phase}${implFlag}`;
  if (values.watch) return watchCommand({ phases, stopAtFirstFailure, impl, verbose, colors });

  // Ctrl+C: stop every process the grader started before leaving.
  process.once('SIGINT', () => {
    killAllChildren();
    exitAfterOutput(130);
  });

  if (values.hint) {
    // Quietly: the hint prints only the failure it is about.
    console.log(pc.dim(`Checking ${stopAtFirstFailure ? 'your current phase' : `Phase ${values.phase}`}…`));
    const { results } = await runChecker({ phases, stopAtFirstFailure, impl, verbose: false, print: () => {} });
    const flags = [values.phase === undefined ? '' : `--phase ${values.phase}`, implFlag.trim()].filter(Boolean);
    const again = `npm run hint${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`;
    showHint(results, impl, { colors, print: (line) => console.log(line), askAgain: `Run ${again} again` });
    return;
  }

  if (values.json) {
    const { exitCode, results } = await runChecker({ phases, stopAtFirstFailure, impl, verbose: false, print: () => {} });
    process.stdout.write(
      `${JSON.stringify(
        toExercismResults(results, exitCode, (file) => displayFile(file, impl)),
        null,
        2,
      )}\n`,
    );
    process.exitCode = exitCode;
    return;
  }

  if (stopAtFirstFailure) printOverview(impl);
  const { exitCode } = await runInTerminal({
    phases,
    stopAtFirstFailure,
    impl,
    verbose,
    colors,
    print: (line) => console.log(line),
    rerunCommand,
  });
  process.exitCode = exitCode;
}

await main();
