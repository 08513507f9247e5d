// `npm run server|client|watch [-- --impl solutions] [-- --host H --port P]`:
// runs exercises/<file>.ts (the learner's code) or, with --impl solutions, the reference.
import path from 'node:path';
import { readOptions } from '../lib/cli.ts';
import { type Implementation, PROGRAMS, resolveImplementation, runAsProgram } from '../lib/implementation.ts';

const [command, ...args] = process.argv.slice(2);
const program = command === undefined ? undefined : PROGRAMS[command];
let implementation: Implementation | undefined;
try {
  implementation = program && resolveImplementation(readOptions(args, ['impl']).impl);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
}
if (!program) {
  console.error(`usage: npm run <${Object.keys(PROGRAMS).join('|')}> [-- --impl exercises|solutions|<folder>] [--host H] [--port P]`);
  process.exitCode = 2;
} else if (!implementation) {
  process.exitCode = 2;
} else {
  // The program reads its own options (--host, --port) and ignores --impl.
  await runAsProgram(path.join(implementation.dir, program.file), [...args, ...program.extraArgs]);
}
