// The checker as learners run it: a real process, its exit codes, --json, the
// progress line, usage errors, and no process left behind after Ctrl+C.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PHASES } from '../checker/phases/index.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { buildImplementation, expectedNotPassing, fixtureFolders } from './checker-fixtures.ts';
import { RIGHT_PROGRAMS } from './fixtures/right-programs.ts';
import { WRONG_PROGRAMS } from './fixtures/wrong-programs.ts';
import { WRONG_PROGRAMS_6 } from './fixtures/wrong-programs-6.ts';
import { runTs, throughSlowPipe, withTimeout } from './helpers.ts';

const runChecker = (args: string[]) => runTs('checker/start.mjs', args);
/**
 * A fixture's implementation folder, relative to the repo (as a learner would
 * type it), built under a name of its own: the fixture tests build theirs at the same time.
 */
const fixtureDir = (name: string) => {
  const fixture = [...WRONG_PROGRAMS, ...RIGHT_PROGRAMS].find((candidate) => candidate.name === name)!;
  return path.relative(REPO_ROOT, buildImplementation({ ...fixture, name: `cli-${name}` }));
};

const grader = `"${process.execPath}" checker/start.mjs`;

describe('checker command line', () => {
  it('--json prints results.json v3 with the phase as task_id, and exits 0 when all pass', async () => {
    const { code, stdout } = await runChecker(['--impl', 'solutions', '--phase', '4', '--json']).done;
    assert.equal(code, 0);
    const results = JSON.parse(stdout) as {
      version: number;
      status: string;
      tests: Array<{ name: string; status: string; task_id: number; message: string | null }>;
    };
    assert.equal(results.version, 3);
    assert.equal(results.status, 'pass');
    assert.equal(results.tests.length, PHASES[3]!.checks.length);
    for (const test of results.tests) {
      assert.deepEqual([test.status, test.task_id, test.message], ['pass', 4, null]);
      assert.match(test.name, /^Phase 4: /);
    }
  });

  it('output through a slow pipe arrives whole: --verbose (over 64 KB) and --json', {
    skip: process.platform === 'win32' && 'sh',
  }, async () => {
    const verbose = await throughSlowPipe(`${grader} --impl solutions --phase all --verbose`);
    assert.equal(verbose.code, 0, 'the reader (cat) ended normally');
    assert.ok(verbose.text.length > 65_536, `the transcript is longer than a pipe holds (${verbose.text.length} bytes)`);
    assert.match(verbose.text, /Phase 1 ✔ · Phase 2 ✔ · Phase 3 ✔ · Phase 4 ✔ · Phase 5 ✔ · Phase 6 ✔\s*$/, 'the last line arrived');
    const json = await throughSlowPipe(`${grader} --impl solutions --phase all --json`);
    const results = JSON.parse(json.text) as { status: string; tests: Array<{ output: string | null }> };
    assert.equal(results.status, 'pass');
    for (const test of results.tests) assert.ok((test.output ?? '').length <= 500, 'output holds at most 500 characters (results.json v3)');
  });

  it('--json reports an implementation that cannot start as status "error" with exit 2', async () => {
    const { code, stdout } = await runChecker(['--impl', fixtureDir('server-never-binds'), '--phase', '2', '--json']).done;
    assert.equal(code, 2);
    const results = JSON.parse(stdout) as { status: string; message: string; tests: Array<{ name: string; status: string }> };
    assert.equal(results.status, 'error');
    assert.match(results.message, /could not listen/);
    // The server could not run; the client checks ran against the reference all the same.
    assert.ok(results.tests.filter((test) => !test.name.includes('(client.ts)')).every((test) => test.status === 'error'));
    assert.ok(results.tests.filter((test) => test.name.includes('(client.ts)')).every((test) => test.status === 'pass'));
  });

  it('without --phase stops at the first phase that fails and prints the progress line', async () => {
    const skeletons = fixtureDir('skeletons');
    const { code, stdout } = await runChecker(['--impl', skeletons]).done;
    assert.equal(code, 1);
    assert.ok(stdout.includes(`Starting your server (${skeletons}/server.ts)`), stdout);
    assert.ok(stdout.includes(`Run again: npm run check -- --phase 2 --impl ${skeletons}`), stdout);
    const notReached = PHASES.slice(2).map((phase) => `Phase ${phase.number} –`);
    assert.match(stdout, new RegExp(`^${['Phase 1 ✔', `Phase 2 ✘ 0/${PHASES[1]!.checks.length}`, ...notReached].join(' · ')}$`, 'm'));
    assert.doesNotMatch(stdout, /Phase 3 — /, 'phase 3 did not run');
  });

  it('--verbose shows the transcript: requests, answers and the server output', async () => {
    const { code, stdout } = await runChecker(['--impl', 'solutions', '--phase', '2', '--verbose']).done;
    assert.equal(code, 0);
    assert.match(stdout, /→ CreateTask \{"title":"Write the checker"/);
    assert.match(stdout, /← OK \{"task":/);
    assert.match(stdout, /\[your server\] rpc method=\/taskmanager\.TaskManager\/CreateTask status=OK/);
  });

  it('grades a submission folder anywhere inside the checkout (--impl <folder>)', async () => {
    const folder = path.join(REPO_ROOT, '.checker', `submission-${process.pid}`, 'alice');
    mkdirSync(path.dirname(folder), { recursive: true });
    cpSync(path.join(REPO_ROOT, 'solutions'), folder, { recursive: true });
    try {
      const { code, stdout } = await runChecker(['--impl', path.relative(REPO_ROOT, folder), '--phase', '2', '--json']).done;
      assert.equal(code, 0, stdout);
      assert.equal((JSON.parse(stdout) as { status: string }).status, 'pass');
    } finally {
      rmSync(path.dirname(folder), { recursive: true, force: true });
    }
  });

  it('rejects bad arguments with exit 2 and the usage', async () => {
    for (const args of [['--phase', '9'], ['--impl', 'nowhere'], ['--colour']]) {
      const { code, stderr } = await runChecker(args).done;
      assert.equal(code, 2, args.join(' '));
      assert.match(stderr, /usage: npm run check/);
    }
  });

  it('Ctrl+C stops the checker and every process it started', { skip: process.platform === 'win32' }, async () => {
    const fixture = fixtureDir('get-never-answers');
    const run = runChecker(['--impl', fixture, '--phase', '2']);
    // The server is up once the first check has passed; the next one waits on a deadline.
    await withTimeout(
      new Promise<void>((resolve) => run.child.stdout!.on('data', () => run.stdout().includes('✔') && resolve())),
      10_000,
      'the first check to pass',
    );
    run.child.kill('SIGINT');
    const { code } = await run.done;
    assert.equal(code, 130);
    const left = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(`${fixture}/server.ts`));
    assert.deepEqual(left, [], 'no server process outlives the checker');
  });
});

describe('checker fixtures', () => {
  it('every check has a wrong program that makes it fail', () => {
    const failed = new Set([...WRONG_PROGRAMS, ...WRONG_PROGRAMS_6].flatMap((fixture) => expectedNotPassing(fixture)));
    for (const phase of PHASES) {
      for (const check of phase.checks) assert.ok(failed.has(check.name), `no wrong program fails Phase ${phase.number}, “${check.name}”`);
    }
  });

  it('every fixture folder is used', () => {
    const used = new Set(
      [...WRONG_PROGRAMS, ...RIGHT_PROGRAMS].flatMap((fixture) => (typeof fixture.from === 'object' ? [fixture.from.folder] : [])),
    );
    used.add('own-store'); // also the base of ids-race
    for (const folder of fixtureFolders()) assert.ok(used.has(folder), `test/fixtures/impls/${folder} is not used by any fixture`);
  });
});
