// `npm run check [-- --phase N|all] [--impl exercises|solutions|<folder>] [--json] [--verbose]`
// Exit 0 when every selected check passes, 1 when one fails, 2 when the code could not be run.
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { type Implementation, resolveImplementation } from '../lib/implementation.ts';
import { killAllChildren } from '../lib/process.ts';
import { PHASES } from './phases/index.ts';
import { runChecker } from './run.ts';

const USAGE = `usage: npm run check -- [--phase 1-${PHASES.length}|all] [--impl exercises|solutions|<folder>] [--json] [--verbose]`;

function fail(message: string): never {
  console.error(pc.red(message));
  console.error(USAGE);
  process.exit(2);
}

let values: { phase?: string; impl?: string; json?: boolean; verbose?: boolean; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      phase: { type: 'string', short: 'p' },
      impl: { type: 'string' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
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

// Ctrl+C: stop every process the checker started before leaving.
process.once('SIGINT', () => {
  killAllChildren();
  process.exit(130);
});

const implFlag = values.impl && values.impl !== 'exercises' ? ` --impl ${values.impl}` : '';
const { exitCode } = await runChecker({
  phases,
  stopAtFirstFailure: values.phase === undefined,
  impl,
  verbose: values.verbose ?? false,
  json: values.json ?? false,
  colors: pc.isColorSupported,
  print: (line) => console.log(line),
  rerunCommand: (phase) => `npm run check -- --phase ${phase}${implFlag}`,
});
process.exit(exitCode);
