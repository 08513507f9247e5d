// `npm run solution`: the reference server and the client demo together, so a
// learner sees what "done" looks like: CRUD, a NOT_FOUND error caught, live
// events, and the server's interceptor lines (prefixed [server]).
// `npm run solution -- server` / `-- client` run one side, like `npm run server -- --impl solutions`.
// `npm run solution -- --diff [file] [--impl <folder>]` shows what your exercises/<file>
// (or <folder>/<file>) lacks: a coloured unified diff against solutions/<file> (every
// file when none is named).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { protoParseProblem, stopQuietlyWhenOutputCloses } from '../lib/cli.ts';
import { runDemo } from '../lib/client-demo.ts';
import { unifiedDiff } from '../lib/diff.ts';
import { displayPath } from '../lib/display-path.ts';
import { PROGRAMS, resolveImplementation, runAsProgram } from '../lib/implementation.ts';
import { readComparableText } from '../lib/line-endings.ts';
import { type ServerProcess, ServerStartError, startServerProcess } from '../lib/process.ts';
import { PROTO_FILE } from '../lib/proto.ts';

stopQuietlyWhenOutputCloses();
const solutions = resolveImplementation('solutions');
const [side, ...args] = process.argv.slice(2);
const USAGE = 'npm run solution [-- server | -- client | -- --diff [file] [--impl exercises|<folder>]]';

if (side === '--diff') {
  process.exitCode = showDiff(args);
} else if (side === 'server' || side === 'client') {
  await runAsProgram(path.join(solutions.dir, PROGRAMS[side]!.file), args);
} else if (side !== undefined) {
  console.error(`usage: ${USAGE}`);
  process.exitCode = 2;
} else {
  process.exitCode = await showDemo();
}

/** The reference server and the client demo together; 0 when the demo worked. */
async function showDemo(): Promise<number> {
  console.log(pc.bold('Reference server and client demo (solutions/)'));
  let server: ServerProcess;
  // What it prints while starting is shown once it has started (a failure gets one line instead).
  const startup: string[] = [];
  let started = false;
  const echo = (line: string) => console.log(pc.dim(`[server] ${line}`));
  try {
    server = await startServerProcess(path.join(solutions.dir, 'server.ts'), {
      echo: (line) => (started ? echo(line) : startup.push(line)),
    });
    started = true;
    startup.forEach(echo);
  } catch (error) {
    if (!(error instanceof ServerStartError)) throw error;
    const problem = error.output.map((line) => protoParseProblem(line.replace(/^Error: /, ''), PROTO_FILE)).find(Boolean);
    console.error(pc.red(problem ?? `the reference server did not start: ${error.message}`));
    return 1;
  }
  // Loaded only now: it reads the proto, which the server has just shown to be sound.
  const reference = await import('../solutions/client.ts');
  const client = reference.createClient(server.address);
  let ok = false;
  try {
    const watchLogged = server.waitForLine(/WatchTasks/, 1000);
    ok = await runDemo(client, reference);
    await watchLogged; // the server logs the cancelled watch: show it before stopping
  } finally {
    client.close();
    await server.stop();
  }
  console.log(ok ? pc.green('✔ reference demo finished') : pc.red('✘ reference demo failed'));
  return ok ? 0 : 1;
}

/** Prints the diff of exercises/<file> (or --impl <folder>) against solutions/<file> for each file named (all when none). */
function showDiff(args: string[]): number {
  let files: string[];
  let yourDir: string;
  try {
    const { values, positionals } = parseArgs({ args, options: { impl: { type: 'string' } }, allowPositionals: true });
    files = positionals;
    yourDir = resolveImplementation(values.impl ?? 'exercises').dir;
  } catch (error) {
    console.error(pc.red(error instanceof Error ? error.message : String(error)));
    console.error(`usage: ${USAGE}`);
    return 2;
  }
  const references = readdirSync(solutions.dir).filter((name) => name.endsWith('.ts'));
  const names: string[] = [];
  for (const argument of files.length > 0 ? files : references) {
    const base = path.basename(argument.replaceAll('\\', '/'));
    const name = references.find((candidate) => candidate === base || candidate === `${base}.ts`);
    if (!name) {
      console.error(pc.red(`"${argument}" has no reference in solutions/; the files are ${references.join(', ')}`));
      console.error(`usage: ${USAGE}`);
      return 2;
    }
    names.push(name);
  }
  for (const name of names) {
    const yours = path.join(yourDir, name);
    const reference = path.join(solutions.dir, name);
    // Line endings aside: a file saved with CRLF is not different line by line.
    const text = existsSync(yours) ? readComparableText(yours) : '';
    const diff = unifiedDiff(text, readComparableText(reference), {
      // Diff headers keep forward slashes on every platform, as git diff and patch tools expect.
      oldName: `${displayPath(yours).replaceAll('\\', '/')} (yours)`,
      newName: `solutions/${name} (reference)`,
      colors: pc.isColorSupported,
    });
    process.stdout.write(diff || pc.green(`${displayPath(yours)} is the same as ${displayPath(reference)}\n`));
  }
  if (names.length > 0)
    console.log(pc.dim(`${pc.red('-')} your lines the reference does not have · ${pc.green('+')} reference lines yours lacks`));
  return 0;
}
