// `npm run hint`: the hint of the first check that does not pass, more detailed
// the second time; and the overview `npm run check` prints before a full run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SetupError } from '../checker/harness/failures.ts';
import type { PhaseResult } from '../checker/harness/phase.ts';
import { hintKey, nextStep, printHint, recordAsked, STATE_DIR_ENV, wrap } from '../checker/hints.ts';
import { PHASES } from '../checker/phases/index.ts';
import { resolveImplementation } from '../lib/implementation.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { buildSkeletons } from './checker-fixtures.ts';
import { runTs } from './helpers.ts';

// The untouched skeletons, wherever exercises/ stands: a learner's work must not change these tests.
const skeletons = buildSkeletons('hints-skeletons');
const shown = path.relative(REPO_ROOT, skeletons).split(path.sep).join('/');
const runChecker = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runTs('checker/start.mjs', [...args, '--impl', skeletons], { env }).done;

const stateDirs: string[] = [];
after(() => {
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});
function freshStateDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'checker-state-'));
  stateDirs.push(dir);
  return dir;
}

describe('hints', () => {
  it('every check of Phases 1–4 has a second, more detailed hint', () => {
    for (const phase of PHASES.filter((p) => p.number <= 4)) {
      for (const check of phase.checks) {
        assert.ok(check.moreHint, `Phase ${phase.number}, “${check.name}” has no moreHint`);
        assert.notEqual(check.moreHint, check.hint);
        assert.ok(check.moreHint.length > check.hint.length, `“${check.name}”: the second hint says more than the first`);
      }
    }
  });

  it('npm run hint: the first time the hint, the second time the more detailed one', async () => {
    const env = { [STATE_DIR_ENV]: freshStateDir() };
    const first = await runChecker(['--hint'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Phase 2 — .*\(0\/\d+ checks pass\)/);
    assert.ok(first.stdout.includes(`\nEdit ${shown}/server.ts`), first.stdout);
    assert.match(first.stdout, /✘ CreateTask returns the new task/);
    assert.match(first.stdout, /^Hint {2}store\.create/m);
    assert.match(first.stdout, /Still stuck\? Run npm run hint( -- --impl \S+)? again for a more detailed hint\./);
    assert.doesNotMatch(first.stdout, /^More/m);
    assert.doesNotMatch(first.stdout, /✔/, 'quiet: no check lines');

    const second = await runChecker(['--hint'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^Hint {2}store\.create/m);
    assert.match(second.stdout, /^More {2}Read the request/m);
    assert.match(second.stdout, /Compare with the reference: npm run solution -- --diff server\.ts/);
  });

  it('says so when the phase passes, and refuses --hint with --json', async () => {
    const passing = await runChecker(['--hint', '--phase', '1'], { [STATE_DIR_ENV]: freshStateDir() });
    assert.equal(passing.code, 0);
    assert.match(passing.stdout, /✔ Phase 1 passes: nothing to hint\./);
    const both = await runChecker(['--hint', '--json']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--json and --hint do not go together/);
  });

  it('counts the asks per phase and check, in a file that may be missing or broken', () => {
    const dir = freshStateDir();
    const impl = resolveImplementation('exercises');
    const phase = PHASES[1]!;
    const results: PhaseResult[] = [
      {
        phase: 2,
        title: phase.title,
        status: 'fail',
        durationMs: 0,
        checks: phase.checks.map((check) => ({
          phase: 2,
          name: check.name,
          proves: check.proves,
          file: check.file,
          status: 'fail',
          transcript: [],
          learnerOutput: [],
        })),
      },
    ];
    const step = nextStep(results, impl)!;
    assert.equal(hintKey(step), `2: ${phase.checks[0]!.name}`);
    assert.equal(recordAsked(step, dir), 0);
    assert.equal(recordAsked(step, dir), 1);
    writeFileSync(path.join(dir, 'hints.json'), 'not json');
    assert.equal(recordAsked(step, dir), 0, 'a broken file starts again');
  });

  it('code that could not start: the error, its hint, then how to see the whole error', () => {
    const impl = resolveImplementation('exercises');
    const error = new SetupError('your code does not compile', ['server.ts:3:1: ERROR: Expected ";"'], 'fix the syntax error', 'server.ts');
    const check = PHASES[1]!.checks[0]!;
    const step = nextStep(
      [
        {
          phase: 2,
          title: '',
          status: 'error',
          durationMs: 0,
          checks: [
            {
              phase: 2,
              name: check.name,
              proves: check.proves,
              file: 'server.ts',
              status: 'error',
              error,
              reason: error.summary,
              transcript: [],
              learnerOutput: [],
            },
          ],
        },
      ],
      impl,
    )!;
    assert.equal(step.file, 'exercises/server.ts');
    for (const level of [1, 2] as const) {
      const lines: string[] = [];
      printHint(step, { colors: false, print: (line) => lines.push(line), level, askAgain: 'Press h again', width: 100 });
      const text = lines.join('\n');
      assert.match(text, /Could not run +your code does not compile/);
      assert.match(text, /ERROR: Expected ";"/);
      assert.match(text, /^Hint {2}fix the syntax error$/m);
      if (level === 1) assert.match(text, /Press h again for a more detailed hint/);
      else assert.match(text, /^More {2}Run it on its own/m);
    }
  });

  it('wraps long hints under their label', () => {
    assert.deepEqual(wrap('Hint  ', 'one two three four five', 16), ['Hint  one two', '      three four', '      five']);
    assert.deepEqual(wrap('Hint  ', 'averyveryverylongword x', 10), ['Hint  averyveryverylongword', '      x']);
  });
});

describe('npm run check without arguments', () => {
  it('shows the phases first, then grades from Phase 1', async () => {
    const { stdout } = await runChecker([]);
    const lines = stdout.split('\n');
    assert.equal(lines[0], `The phases, graded in order; the first that does not pass is yours (files in ${shown}/):`);
    for (const [i, phase] of PHASES.entries()) {
      assert.match(lines[i + 1]!, new RegExp(`^ {2}${phase.number} {2}${phase.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
    assert.equal(lines[PHASES.length + 1], '');
    assert.match(lines[PHASES.length + 2]!, /^Phase 1 — /);
  });
});
