// A learner's file saved with Windows line endings (CRLF, maybe with a UTF-8
// byte-order mark) is graded exactly like the same file with LF: reset sees a
// CRLF skeleton as untouched, the diff with the reference ignores line endings,
// a CRLF proto passes Phase 1 (its generated types stay up to date: the
// generator drops the CRs), and CRLF copies of the reference pass every phase. (.gitattributes keeps the repository's own files LF.)
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runChecker } from '../checker/run.ts';
import { generateTypes, staleGeneratedFiles } from '../lib/codegen.ts';
import { unifiedDiff } from '../lib/diff.ts';
import { resolveImplementation } from '../lib/implementation.ts';
import { comparableText, readComparableText } from '../lib/line-endings.ts';
import { PROTO_FILE, REPO_ROOT } from '../lib/proto.ts';
import { PRISTINE_DIR, PRISTINE_SUFFIX, planReset, pristineNames } from '../scripts/reset.ts';

const SOLUTIONS = path.join(REPO_ROOT, 'solutions');
const BOM = '\uFEFF';
const crlf = (text: string) => text.replaceAll('\n', '\r\n');

// Inside the checkout (git-ignored scratch/): the #lib/... imports of a copied
// solution resolve only there.
const SCRATCH = path.join(REPO_ROOT, 'scratch');
const scratchExisted = existsSync(SCRATCH);
const temporary: string[] = [];
after(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  if (!scratchExisted && existsSync(SCRATCH) && readdirSync(SCRATCH).length === 0) rmdirSync(SCRATCH);
});
function scratchDir(prefix: string): string {
  mkdirSync(SCRATCH, { recursive: true });
  const dir = mkdtempSync(path.join(SCRATCH, prefix));
  temporary.push(dir);
  return dir;
}

/** Copies of `files` in a new scratch folder with CRLF line endings (and a byte-order mark when asked). */
function crlfCopies(files: readonly string[], { bom = false } = {}): string {
  const dir = scratchDir('crlf-');
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('\r'), `${file} is LF in the checkout (.gitattributes)`);
    writeFileSync(path.join(dir, path.basename(file).replace(PRISTINE_SUFFIX, '')), (bom ? BOM : '') + crlf(text));
  }
  return dir;
}

/** The grader on `impl` (and a proto), quietly; the checker's API may change: this is the one place that calls it. */
async function grade({ impl, ...options }: { phases: number[]; impl: string; protoFile?: string; generatedDir?: string }) {
  const lines: string[] = [];
  const outcome = await runChecker({
    ...options,
    impl: resolveImplementation(impl),
    stopAtFirstFailure: false,
    verbose: false,
    print: (line) => lines.push(line),
  });
  return { ...outcome, transcript: lines.join('\n') };
}

const pristineFiles = () => pristineNames().map((name) => path.join(PRISTINE_DIR, `${name}${PRISTINE_SUFFIX}`));
const solutionFiles = () =>
  readdirSync(SOLUTIONS)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(SOLUTIONS, name));

describe('line endings', () => {
  it('CRLF and a leading byte-order mark read as LF; a lone CR stays', () => {
    assert.equal(comparableText('a\r\nb\r\n'), 'a\nb\n');
    assert.equal(comparableText(Buffer.from(`${BOM}a\r\nb`)), 'a\nb');
    assert.equal(comparableText('a\rb\n'), 'a\rb\n');
    assert.equal(comparableText(`a${BOM}`), `a${BOM}`, 'only a leading mark is dropped');
  });

  it('a CRLF copy of each skeleton counts as untouched for npm run reset, with or without a byte-order mark', () => {
    for (const bom of [false, true]) {
      const dir = crlfCopies(pristineFiles(), { bom });
      assert.deepEqual(planReset(pristineNames(), dir), [], `bom: ${bom}`);
    }
  });

  it('a CRLF file with one line changed counts one line removed and one added, not the whole file', () => {
    const dir = crlfCopies(pristineFiles());
    const file = path.join(dir, 'server.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('TODO(human): Phase 2, step 1.', 'Done: Phase 2, step 1.'));
    const [entry, ...others] = planReset(pristineNames(), dir);
    assert.deepEqual(others, []);
    assert.deepEqual([entry?.name, entry?.removed, entry?.added], ['server.ts', 1, 1]);
  });

  it('the diff of a CRLF file with its LF twin (npm run solution -- --diff) is empty', () => {
    const dir = crlfCopies(solutionFiles());
    for (const file of solutionFiles()) {
      const twin = path.join(dir, path.basename(file));
      assert.notEqual(readFileSync(twin, 'utf8'), readFileSync(file, 'utf8'), 'the copy really is CRLF');
      assert.equal(unifiedDiff(readComparableText(twin), readComparableText(file), { oldName: 'crlf', newName: 'lf' }), '', file);
    }
  });

  it('a proto saved with CRLF after npm run generate passes Phase 1, generated types included', async () => {
    // Generated from the LF proto at the same place (the generated files name it), then saved with CRLF.
    const dir = scratchDir('proto-');
    const protoFile = path.join(dir, path.basename(PROTO_FILE));
    const generatedDir = path.join(dir, 'generated');
    writeFileSync(protoFile, readFileSync(PROTO_FILE));
    generateTypes(generatedDir, protoFile);
    writeFileSync(protoFile, crlf(readFileSync(PROTO_FILE, 'utf8')));
    assert.deepEqual(staleGeneratedFiles(generatedDir, protoFile), [], 'the generator drops the CR of the comments it copies');
    const { exitCode, transcript } = await grade({ phases: [1], impl: 'solutions', protoFile, generatedDir });
    assert.equal(exitCode, 0, transcript);
  });

  it('CRLF copies of solutions/ pass Phases 2 to 5', async () => {
    const dir = crlfCopies(solutionFiles());
    const { exitCode, results, transcript } = await grade({ phases: [2, 3, 4, 5], impl: dir });
    assert.deepEqual(
      results.map((result) => [result.phase, result.status]),
      [
        [2, 'pass'],
        [3, 'pass'],
        [4, 'pass'],
        [5, 'pass'],
      ],
      transcript,
    );
    assert.equal(exitCode, 0);
  });
});
