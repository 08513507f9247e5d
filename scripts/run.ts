// `npm run server|client|watch [-- --impl solutions] [-- --host H --port P]`:
// runs exercises/<file>.ts (the learner's code) or, with --impl solutions, the reference.
import path from 'node:path';
import { readOptions } from '../lib/cli.ts';
import { PROGRAMS, resolveImplementation, runAsProgram } from '../lib/implementation.ts';

const [command, ...args] = process.argv.slice(2);
const program = command === undefined ? undefined : PROGRAMS[command];
if (!program) {
  console.error(`usage: scripts/run.ts <${Object.keys(PROGRAMS).join('|')}> [--impl exercises|solutions] [--host H] [--port P]`);
  process.exit(2);
}
const implementation = resolveImplementation(readOptions(args, ['impl']).impl);
// The program reads its own options (--host, --port) and ignores --impl.
await runAsProgram(path.join(implementation.dir, program.file), [...args, ...program.extraArgs]);
