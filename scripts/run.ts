// `npm run server|client|watch [-- --impl solutions] [-- --host H --port P]`:
// runs exercises/<file>.ts (the learner's code) or, with --impl solutions, the reference.
import path from 'node:path';
import { optionValue, withoutOption } from '../lib/cli.ts';
import { PROGRAMS, resolveImplementation, runAsProgram } from '../lib/implementation.ts';

const [command, ...args] = process.argv.slice(2);
const program = command === undefined ? undefined : PROGRAMS[command];
if (!program) {
  console.error(`usage: scripts/run.ts <${Object.keys(PROGRAMS).join('|')}> [--impl exercises|solutions] [--host H] [--port P]`);
  process.exit(2);
}
const implementation = resolveImplementation(optionValue(args, 'impl'));
await runAsProgram(path.join(implementation.dir, program.file), [...withoutOption(args, 'impl'), ...program.extraArgs]);
