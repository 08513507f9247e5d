// The checker as learners run it: a real process, its exit codes, --json, the
// progress line, usage errors, and no process left behind after Ctrl+C.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PHASES } from '../checker/phases/index.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { FIXTURES, fixtureFolders } from './checker-fixtures.ts';
import { runTs, withTimeout } from './helpers.ts';

const runChecker = (args: string[]) => runTs('checker/main.ts', args);

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

  it('--json reports an implementation that cannot start as status "error" with exit 2', async () => {
    const fixture = path.join('test/fixtures/impls/server-never-binds');
    const { code, stdout } = await runChecker(['--impl', fixture, '--phase', '2', '--json']).done;
    assert.equal(code, 2);
    const results = JSON.parse(stdout) as { status: string; message: string; tests: Array<{ status: string }> };
    assert.equal(results.status, 'error');
    assert.match(results.message, /stopped without listening/);
    assert.ok(results.tests.every((test) => test.status === 'error'));
  });

  it('without --phase stops at the first phase that fails and prints the progress line', async () => {
    const { code, stdout } = await runChecker([]).done;
    assert.equal(code, 1);
    assert.match(stdout, /Starting your server… \(exercises\/server\.ts\)/);
    assert.match(stdout, /Run again: npm run check -- --phase 2/);
    assert.match(stdout, /^Phase 1 ✔ · Phase 2 ✘ 0\/9 · Phase 3 – · Phase 4 – · Phase 5 –$/m);
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
    const fixture = 'test/fixtures/impls/get-never-answers';
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
  it('every check has a fixture that makes it fail', () => {
    const aimedAt = new Set(
      FIXTURES.filter((fixture) => !['skeletons', 'reference', 'own-store'].includes(fixture.name)).flatMap(
        (fixture) => fixture.notPassing,
      ),
    );
    for (const phase of PHASES) {
      for (const check of phase.checks) {
        assert.ok(
          [...aimedAt].some((start) => check.name.startsWith(start)),
          `no fixture fails "${check.name}"`,
        );
      }
    }
  });

  it('every fixture folder is in the table', () => {
    const used = new Set(FIXTURES.map((fixture) => fixture.impl ?? fixture.name));
    used.add('own-store'); // also the base of ids-race
    for (const folder of fixtureFolders()) assert.ok(used.has(folder), `test/fixtures/impls/${folder} has no entry in FIXTURES`);
  });
});
