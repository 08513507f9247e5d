// Reset and compare: the pristine skeletons are exactly exercises/ as published;
// `npm run reset` restores them (after asking, keeping a backup) and touches
// nothing else; the line diff behind `npm run solution -- --diff` is minimal and
// its unified output applies back like a patch.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { STATE_DIR_ENV } from '../checker/hints.ts';
import { countChanges, diffLines, splitLines, unifiedDiff } from '../lib/diff.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { applyReset, backupFolderName, PRISTINE_DIR, PRISTINE_SUFFIX, planReset, pristineNames, skeletonName } from '../scripts/reset.ts';
import { buildSkeletons } from './checker-fixtures.ts';
import { runTs } from './helpers.ts';

/** No terminal: nobody can confirm a question. */
const run = (script: string, args: string[], env: NodeJS.ProcessEnv = {}) => runTs(script, args, { env, stdin: 'pipe' }).done;

const temporary: string[] = [];
after(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** A folder like exercises/ holding the skeletons, plus a file of the learner's own. */
function skeletonCopy(): string {
  const dir = tempDir('reset-');
  for (const name of pristineNames())
    writeFileSync(path.join(dir, name), readFileSync(path.join(PRISTINE_DIR, `${name}${PRISTINE_SUFFIX}`)));
  writeFileSync(path.join(dir, 'notes.txt'), 'mine\n');
  return dir;
}

describe('pristine skeletons', () => {
  it('accepts a file as server.ts, server or exercises/server.ts', () => {
    const names = ['client.ts', 'server.ts'];
    for (const argument of ['server.ts', 'server', 'exercises/server.ts', './exercises/server.ts', 'exercises\\server.ts']) {
      assert.equal(skeletonName(argument, names), 'server.ts', argument);
    }
    assert.equal(skeletonName('store.ts', names), undefined);
  });
});

describe('reset', () => {
  it('restores only the files that differ, keeps the learner’s version, and touches nothing else', () => {
    const dir = skeletonCopy();
    const [first, second, third] = pristineNames();
    writeFileSync(path.join(dir, first!), 'my own work\n');
    unlinkSync(path.join(dir, second!));
    const plan = planReset(pristineNames(), dir);
    assert.deepEqual(
      plan.map((entry) => [entry.name, entry.current === undefined]),
      [
        [first, false],
        [second, true],
      ],
    );
    assert.equal(plan[0]!.added, 1, 'my own work is one line added');
    const backupDir = path.join(tempDir('backup-'), backupFolderName(new Date('2026-01-31T09:30:00Z')));
    assert.match(backupDir, /2026-01-31T09-30-00$/);
    const backups = applyReset(plan, backupDir);
    assert.deepEqual(backups, [path.join(backupDir, first!)]);
    assert.equal(readFileSync(backups[0]!, 'utf8'), 'my own work\n');
    for (const name of [first!, second!, third!]) {
      assert.ok(readFileSync(path.join(dir, name)).equals(readFileSync(path.join(PRISTINE_DIR, `${name}${PRISTINE_SUFFIX}`))), name);
    }
    assert.equal(readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'mine\n');
    assert.deepEqual(planReset(pristineNames(), dir), [], 'nothing left to reset');
  });

  it('npm run reset refuses without a terminal, resets with --yes, and rejects unknown files', async () => {
    const dir = skeletonCopy();
    const state = tempDir('state-');
    const server = path.join(dir, 'server.ts');
    writeFileSync(server, 'export const mine = 1;\n');

    const refused = await run('scripts/reset.ts', ['server.ts', '--dir', dir], { [STATE_DIR_ENV]: state });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Not resetting: nobody can confirm here \(no terminal\)\. Nothing was changed or saved\./);
    assert.match(refused.stderr, /It would have reset: .*server\.ts\nRun it in a terminal, or add --yes\./);
    assert.doesNotMatch(refused.stdout + refused.stderr, /is saved|was saved|will be saved/, 'no backup was made, so none is announced');
    assert.equal(readFileSync(server, 'utf8'), 'export const mine = 1;\n', 'untouched');
    assert.ok(!existsSync(path.join(state, 'backups')), 'nothing saved');

    const done = await run('scripts/reset.ts', ['exercises/server.ts', '--dir', dir, '--yes'], { [STATE_DIR_ENV]: state });
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /✔ .*server\.ts is the skeleton again\nYour version was saved in \S+[\\/]$/m);
    assert.ok(readFileSync(server).equals(readFileSync(path.join(PRISTINE_DIR, `server.ts${PRISTINE_SUFFIX}`))));
    const [backup] = readdirSync(path.join(state, 'backups'));
    assert.equal(readFileSync(path.join(state, 'backups', backup!, 'server.ts'), 'utf8'), 'export const mine = 1;\n');
    assert.ok(done.stdout.trimEnd().endsWith(`${backup}${path.sep}`), 'the message names the backup folder that exists');

    // A missing file is restored, and no backup is announced: there was nothing to save.
    const missing = await run('scripts/reset.ts', ['server.ts', '--dir', dir, '--yes'], { [STATE_DIR_ENV]: tempDir('state-') });
    assert.match(missing.stdout, /server\.ts is already the skeleton/);
    unlinkSync(server);
    const restored = await run('scripts/reset.ts', ['server.ts', '--dir', dir, '--yes'], { [STATE_DIR_ENV]: state });
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /\(missing\)/);
    assert.doesNotMatch(restored.stdout, /saved/);

    const again = await run('scripts/reset.ts', ['--all', '--dir', dir]);
    assert.equal(again.code, 0, 'nothing to confirm when everything is pristine');
    assert.match(again.stdout, /server\.ts is already the skeleton/);

    for (const args of [['store.ts'], [], ['--all', 'server.ts']]) {
      const wrong = await run('scripts/reset.ts', [...args, '--dir', dir]);
      assert.equal(wrong.code, 2, args.join(' '));
      assert.match(wrong.stderr, /usage: npm run reset|not an exercise file/);
    }
  });
});

/** Applies a unified diff made by unifiedDiff to `oldText`, checking every context and removed line. */
function applyUnified(oldText: string, diff: string): string {
  if (diff === '') return oldText;
  const old = splitLines(oldText);
  const lines = diff.split('\n').slice(2, -1); // without the ---/+++ headers and the final ""
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < lines.length; ) {
    const header = /^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$/.exec(lines[i]!);
    assert.ok(header, `a hunk header, got ${lines[i]}`);
    const [oldStart, oldCount, , newCount] = header.slice(1).map(Number) as [number, number, number, number];
    const start = oldCount === 0 ? oldStart : oldStart - 1;
    out.push(...old.slice(at, start));
    at = start;
    let seenOld = 0;
    let seenNew = 0;
    for (i += 1; i < lines.length && !lines[i]!.startsWith('@@'); i += 1) {
      const kind = lines[i]![0];
      const text = lines[i]!.slice(1) + (lines[i + 1]?.startsWith('\\') ? '' : '\n');
      if (kind === '\\') continue;
      if (kind !== '+') {
        assert.equal(old[at], text, `line ${at + 1} of the old text`);
        at += 1;
        seenOld += 1;
      }
      if (kind !== '-') {
        out.push(text);
        seenNew += 1;
      }
    }
    assert.deepEqual([seenOld, seenNew], [oldCount, newCount], 'the header counts its lines');
  }
  return [...out, ...old.slice(at)].join('');
}

/** The length of a longest common subsequence, by dynamic programming (small inputs only). */
function lcsLength(a: readonly string[], b: readonly string[]): number {
  const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      table[i]![j] = a[i - 1] === b[j - 1] ? table[i - 1]![j - 1]! + 1 : Math.max(table[i - 1]![j]!, table[i]![j - 1]!);
    }
  }
  return table[a.length]![b.length]!;
}

describe('line diff', () => {
  it('prints diff -u’s format, with the missing final newline marked', () => {
    const diff = unifiedDiff('a\nb\nc\nd\n', 'a\nx\nc\nd\ne', { oldName: 'old', newName: 'new' });
    assert.equal(
      diff,
      ['--- old', '+++ new', '@@ -1,4 +1,5 @@', ' a', '-b', '+x', ' c', ' d', '+e', '\\ No newline at end of file', ''].join('\n'),
    );
    assert.equal(unifiedDiff('same\n', 'same\n', { oldName: 'a', newName: 'b' }), '');
    assert.equal(unifiedDiff('', 'new\n', { oldName: 'a', newName: 'b' }), '--- a\n+++ b\n@@ -0,0 +1,1 @@\n+new\n');
    assert.match(unifiedDiff('a\n', 'b\n', { oldName: 'a', newName: 'b', colors: true }), /\x1b\[31m-a\x1b\[39m/);
  });

  it('splits far-apart changes into hunks with three lines of context', () => {
    const old = Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`).join('');
    const changed = old.replace('line 2\n', 'line two\n').replace('line 25\n', 'line twenty-five\n');
    const diff = unifiedDiff(old, changed, { oldName: 'a', newName: 'b' });
    assert.deepEqual(
      diff.split('\n').filter((line) => line.startsWith('@@')),
      ['@@ -1,5 +1,5 @@', '@@ -22,7 +22,7 @@'],
    );
    assert.equal(applyUnified(old, diff), changed);
  });

  it('is minimal and applies back, on 500 random pairs of texts', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const text = () => {
      const lines = Array.from({ length: random(25) }, () => 'abcde'[random(5)]!);
      return lines.length === 0 ? '' : lines.join('\n') + (random(4) === 0 ? '' : '\n');
    };
    for (let i = 0; i < 500; i += 1) {
      const a = text();
      const b = text();
      const ops = diffLines(splitLines(a), splitLines(b));
      const { removed, added } = countChanges(ops);
      const common = lcsLength(splitLines(a), splitLines(b));
      assert.equal(removed + added, splitLines(a).length + splitLines(b).length - 2 * common, `minimal for ${JSON.stringify([a, b])}`);
      assert.equal(applyUnified(a, unifiedDiff(a, b, { oldName: 'a', newName: 'b', context: random(4) })), b, JSON.stringify([a, b]));
    }
  });
});

describe('npm run solution -- --diff', () => {
  it('shows what a skeleton lacks against solutions/<file> (--impl: the pristine skeletons, whatever exercises/ holds)', async () => {
    const skeletons = buildSkeletons('diff-skeletons');
    const { code, stdout } = await run('scripts/solution.ts', ['--diff', 'interceptors', '--impl', skeletons]);
    assert.equal(code, 0);
    assert.match(
      stdout,
      /^--- test\/fixtures\/built\/diff-skeletons\/interceptors\.ts \(yours\)\n\+\+\+ solutions\/interceptors\.ts \(reference\)\n@@ -1,\d+ \+1,\d+ @@/,
    );
    assert.match(stdout, /^\+ {4}sendStatus\(status, next\) \{$/m);
    assert.match(stdout, /^- {2}\/\/ TODO\(human\): Phase 4/m);
    const yours = readFileSync(path.join(skeletons, 'interceptors.ts'), 'utf8');
    const reference = readFileSync(path.join(REPO_ROOT, 'solutions/interceptors.ts'), 'utf8');
    const diff = stdout.slice(0, stdout.lastIndexOf('\n', stdout.length - 2) + 1); // without the legend line
    assert.equal(applyUnified(yours, diff), reference, 'the printed diff turns your file into the reference');
  });

  it('rejects a file with no reference', async () => {
    const { code, stderr } = await run('scripts/solution.ts', ['--diff', 'store.ts']);
    assert.equal(code, 2);
    assert.match(stderr, /"store\.ts" has no reference in solutions\//);
    assert.ok(!existsSync(path.join(REPO_ROOT, 'exercises/store.ts')));
  });
});
