// lib/compile.ts: the grader runs the learner's files compiled into one bundle
// each. A compiled program must behave as the same files under tsx: its own
// import.meta.url and argv, stack traces in the .ts files, a file that does not
// compile failing where it is imported, and a bundle made again when a file changes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BUNDLE_DIR_ENV } from '../lib/bundle-cache.mjs';
import { compile } from '../lib/compile.ts';
import { type ChildTsProcess, prepareSpares, spawnCompiled, stopSpares } from '../lib/process.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { runTs, withTimeout } from './helpers.ts';

/** Inside the repo, so the files' #lib/... and package imports resolve (git-ignored). */
const dir = path.join(REPO_ROOT, 'test/fixtures/built/compile');
const file = (name: string) => path.join(dir, name);

const PROGRAM = `import { isEntryPoint } from '#lib/cli.ts';
import { PROTO_FILE } from '#lib/proto.ts';
import { helper } from './helper.ts';
console.log(JSON.stringify({ argv: process.argv.slice(1), url: import.meta.url, entry: isEntryPoint(import.meta.url), proto: PROTO_FILE, helper: helper() }));
if (process.argv.includes('--throw')) {
  const where: number = 1;
  throw new Error('thrown on line 7, where ' + where);
}
if (process.argv.includes('--import-broken')) {
  const { importFile } = await import('#lib/compiled-import.ts');
  try {
    await importFile(${JSON.stringify(file('broken.ts'))});
  } catch (error) {
    console.log('import failed: ' + (error as Error).message.split('\\n')[1]);
  }
}
`;

async function run(launched: ChildTsProcess): Promise<{ exit: number | string; output: string[] }> {
  const exit = await withTimeout(launched.exited, 10_000, 'the compiled program to end');
  return { exit, output: launched.output };
}

describe('compiled programs (lib/compile.ts)', () => {
  // Inside the workbook too: a bundle finds its packages (@grpc/grpc-js) from where it lies.
  const bundles = path.join(REPO_ROOT, 'test/fixtures/built/compile-bundles');
  const launched: ChildTsProcess[] = [];
  const previous = process.env[BUNDLE_DIR_ENV];
  before(() => {
    process.env[BUNDLE_DIR_ENV] = bundles;
    rmSync(dir, { recursive: true, force: true });
    rmSync(bundles, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(file('program.ts'), PROGRAM);
    writeFileSync(file('helper.ts'), `export const helper = (): string => 'helper v1';\n`);
    writeFileSync(file('broken.ts'), `export const value: number = ;\n`);
  });
  after(async () => {
    await stopSpares();
    await Promise.all(launched.map((child) => child.stop(500)));
    if (previous === undefined) delete process.env[BUNDLE_DIR_ENV];
    else process.env[BUNDLE_DIR_ENV] = previous;
    rmSync(bundles, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (args: string[], lazyFiles?: string[]) => {
    const child = await spawnCompiled(file('program.ts'), args, { lazyFiles });
    launched.push(child);
    return run(child);
  };

  it('sees its own file as under tsx: argv, import.meta.url, isEntryPoint, paths found from lib/', async () => {
    const { exit, output } = await start(['--flag', 'value']);
    assert.equal(exit, 0, output.join('\n'));
    const seen = JSON.parse(output[0]!);
    assert.deepEqual(seen, {
      argv: [file('program.ts'), '--flag', 'value'],
      url: pathToFileURL(file('program.ts')).href,
      entry: true,
      proto: path.join(REPO_ROOT, 'protos/task_manager.proto'),
      helper: 'helper v1',
    });
  });

  it('names the .ts file and line in a stack trace', async () => {
    const { exit, output } = await start(['--throw']);
    assert.equal(exit, 1);
    const text = output.join('\n');
    assert.match(text, /Error: thrown on line 7, where 1/);
    assert.ok(text.includes(`${file('program.ts')}:7:`), text);
  });

  it('fails where a file that does not compile is imported, with the compiler’s line and column', async () => {
    const { exit, output } = await start(['--import-broken'], [file('broken.ts')]);
    assert.equal(exit, 0, output.join('\n'));
    assert.equal(output.at(-1), `import failed: ${file('broken.ts')}:1:29: ERROR: Unexpected ";"`);
  });

  it('a program that does not compile says where and exits 1', async () => {
    writeFileSync(file('main-broken.ts'), `import { helper } from './helper.ts';\nconsole.log(helper(;\n`);
    const child = await spawnCompiled(file('main-broken.ts'), []);
    launched.push(child);
    const { exit, output } = await run(child);
    assert.equal(exit, 1);
    assert.equal(output[0], 'TransformError: Transform failed with 1 error:');
    assert.match(output[1]!, /main-broken\.ts:2:19: ERROR: /);
    assert.match(output[2]!, /2 │ console\.log\(helper\(;/);
  });

  it('is made once, and again when one of its files changes', async () => {
    const request = { entry: file('program.ts') };
    const first = await compile(request);
    const made = readFileSync(first.file, 'utf8');
    writeFileSync(first.file, `${made}\n// untouched while fresh\n`);
    assert.match(readFileSync((await compile(request)).file, 'utf8'), /untouched while fresh/);
    writeFileSync(file('helper.ts'), `export const helper = (): string => 'helper v2';\n`);
    const again = await compile(request);
    assert.doesNotMatch(readFileSync(again.file, 'utf8'), /untouched while fresh/);
    assert.equal(JSON.parse((await start([])).output[0]!).helper, 'helper v2');
  });

  it('deletes the bundle it replaces and those unused for a week, and keeps those in use', async () => {
    const request = { entry: file('program.ts') };
    const other = { entry: file('program.ts'), lazyFiles: [file('broken.ts')] };
    const replaced = (await compile(request)).file;
    const inUse = (await compile(other)).file;
    const weekOld = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    const unused = path.join(bundles, 'unused-0123456789ab.mjs');
    writeFileSync(unused, '');
    for (const old of [unused, inUse]) utimesSync(old, weekOld, weekOld);
    assert.equal((await compile(other)).file, inUse, 'still fresh, and now marked as used');
    writeFileSync(file('helper.ts'), `export const helper = (): string => 'helper v3';\n`);
    const rebuilt = (await compile(request)).file;
    assert.notEqual(rebuilt, replaced);
    assert.deepEqual(
      [unused, replaced, inUse, rebuilt].map((bundle) => existsSync(bundle)),
      [false, false, true, true],
      'gone: the unused and the replaced bundle; kept: the one in use and the new one',
    );
  });

  it('a spare started ahead becomes the program, with the environment and stdin given at launch', async () => {
    writeFileSync(
      file('echo.ts'),
      `process.stdin.once('data', (data) => console.log(process.env.GREETING + ' ' + String(data).trim() + ' from ' + process.argv[1]));\n`,
    );
    const first = await spawnCompiled(file('echo.ts'), [], { stdin: 'pipe', env: { ...process.env, GREETING: 'hello' } });
    launched.push(first);
    first.child.stdin!.end('one\n');
    assert.equal((await run(first)).output[0], `hello one from ${file('echo.ts')}`);

    const [spare] = prepareSpares().filter((started) => started.child.spawnargs.includes(file('echo.ts')));
    assert.ok(spare, 'a spare for echo.ts');
    launched.push(spare);
    const second = await spawnCompiled(file('echo.ts'), [], { stdin: 'pipe', env: { ...process.env, GREETING: 'hi' } });
    assert.equal(second.child.pid, spare.child.pid, 'the spare became the program');
    second.child.stdin!.end('two\n');
    assert.equal((await run(second)).output[0], `hi two from ${file('echo.ts')}`);
  });

  it('a program that never reads stdin still ends by itself', async () => {
    writeFileSync(file('ends.ts'), `console.log('done');\n`);
    const child = await spawnCompiled(file('ends.ts'), [], { stdin: 'pipe' });
    launched.push(child);
    assert.deepEqual(await run(child), { exit: 0, output: ['done'] });
  });

  it('npm run check compiles the grader once, then runs the same bundle', async () => {
    const grade = () => runTs('checker/start.mjs', ['--phase', '1', '--impl', 'solutions'], { env: { [BUNDLE_DIR_ENV]: bundles } }).done;
    /** The grader's bundle file: a new one would be a new file (written under another name, then renamed). */
    const bundleFile = () => {
      const { bundle } = JSON.parse(readFileSync(path.join(bundles, 'grader.json'), 'utf8')) as { bundle: string };
      return statSync(path.join(bundles, bundle)).ino;
    };
    const first = await grade();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Phase 1: all \d+ checks passed/);
    const made = bundleFile();
    const second = await grade();
    assert.equal(bundleFile(), made, 'the second run used the bundle the first made');
    assert.equal(second.stdout.replace(/\(\d+\.\d s\)/g, ''), first.stdout.replace(/\(\d+\.\d s\)/g, ''));
  });
});
