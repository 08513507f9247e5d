// The grader's own tests, CodeCrafters-style: each fixture (a wrong program of
// test/fixtures/wrong-programs.ts, the reference, the skeletons, or a correct
// program written differently) goes through the real grader; the test asserts
// the exit code, exactly which checks do not pass and which file the report
// names, then compares the normalised transcript with test/fixtures/golden/.
// Re-record the transcripts with: UPDATE_GOLDEN=1 npm test
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PHASES } from '../checker/phases/index.ts';
import { runInTerminal } from '../checker/report/terminal.ts';
import { generateTypes } from '../lib/codegen.ts';
import { resolveImplementation } from '../lib/implementation.ts';
import { GENERATED_DIR, PROTO_FILE, REPO_ROOT } from '../lib/proto.ts';

export interface Fixture {
  name: string;
  /** The beginner's mistake, in a few words. */
  mistake?: string;
  /** Where the files come from: the reference (default), the pristine skeletons, or a folder of test/fixtures/impls/. */
  from?: 'solutions' | 'skeletons' | { folder: string };
  /** Changes to the files (each text must occur exactly once): the mistake itself. */
  patches?: Record<string, Array<[from: string, to: string]>>;
  phases: number[];
  exitCode: 0 | 1 | 2;
  /**
   * The checks that must not pass, by the start of their name, or "*server.ts":
   * every check of these phases that grades server.ts; "!name" takes a check
   * out again (one that passes on code given as it should be). Every other check must pass.
   */
  notPassing: string[];
  /** The file the report names for the first check that does not pass. */
  edit?: string;
  /** Phase 1: how to break a copy of the proto. */
  mutateProto?: (proto: string) => string;
  /** Phase 1: generated types that are stale, or missing altogether. */
  generated?: 'stale' | 'missing';
  startTimeoutMs?: number;
  /** Lines whose content depends on timing: what they hold is replaced by <varies> (the checks that fail are still compared). */
  varies?: RegExp;
}

const GOLDEN_DIR = path.join(REPO_ROOT, 'test/fixtures/golden');
const IMPLS_DIR = path.join(REPO_ROOT, 'test/fixtures/impls');
/** Inside the repo, so the #lib/... imports of the built files resolve (git-ignored). */
const BUILT_DIR = path.join(REPO_ROOT, 'test/fixtures/built');
const PRISTINE_DIR = path.join(REPO_ROOT, 'checker/pristine');

/** Replaces what changes from run to run (ports, ids, times, paths) with placeholders. */
export function normalise(transcript: string): string {
  return (
    transcript
      .split('\n')
      // The progress line's last phases, never reached, say nothing about the fixture:
      // without them, registering a phase leaves every other transcript as it was.
      .map((line) => line.replace(/( · Phase \d+ –)+$/, ''))
      // What the learner's code printed (│ lines) comes when it comes: not part of the transcript.
      .filter((line) => !/^\s+│ /.test(line) && !/^\s+Output of your code$/.test(line))
      .map((line) =>
        line
          .replaceAll(REPO_ROOT.replace(/\/$/, ''), '<repo>')
          .replace(new RegExp(`${tmpdir()}/checker-[\\w-]+-[A-Za-z0-9]{6}(?=/)`, 'g'), '<tmp>')
          // How many clock-made ids collide depends on timing; that some do is what counts.
          .replace(/Received {2}\d+ different ids/, 'Received  <n> different ids')
          .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
          .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
          .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
          .replace(/\b(missing|list|refused)-[a-z0-9]{6}\b/g, '$1-<random>')
          .replace(/\(\d+\.\d s\)/g, '(<s>)')
          .replace(/\b\d+(\.\d+)? ms\b/g, '<n> ms')
          .replace(/duration_ms=[\d.e+]+/g, 'duration_ms=<ms>')
          .replace(/^(\s+)at .*$/, '$1at <stack frame>')
          .replace(/^(\s*)Node\.js v[\d.]+$/, '$1Node.js <version>')
          .replace(/\s+$/, ''),
      )
      .filter((line, i, lines) => !(line.endsWith('at <stack frame>') && lines[i - 1]?.endsWith('at <stack frame>')))
      .join('\n')
  );
}

function hideWhatVaries(transcript: string, fixture: Fixture): string {
  return fixture.varies ? transcript.replace(fixture.varies, '$1<varies>') : transcript;
}

const temporary: string[] = [];
after(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** The implementation folder of a fixture: the reference or the skeletons with its patches applied, or its own folder. */
export function buildImplementation(fixture: Fixture): string {
  const from = fixture.from ?? 'solutions';
  if (typeof from === 'object') return path.join(IMPLS_DIR, from.folder);
  if (from === 'solutions' && !fixture.patches) return path.join(REPO_ROOT, 'solutions');
  const dir = path.join(BUILT_DIR, fixture.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  temporary.push(dir);
  const sourceDir = from === 'skeletons' ? PRISTINE_DIR : path.join(REPO_ROOT, 'solutions');
  for (const name of readdirSync(sourceDir)) {
    const target = path.join(dir, name.replace(/\.txt$/, ''));
    copyFileSync(path.join(sourceDir, name), target);
  }
  for (const [file, patches] of Object.entries(fixture.patches ?? {})) {
    const target = path.join(dir, file);
    let text = readFileSync(target, 'utf8');
    for (const [before, afterText] of patches) {
      const count = text.split(before).length - 1;
      assert.equal(count, 1, `${fixture.name}: the text to patch must occur once in solutions/${file}, found ${count}:\n${before}`);
      text = text.replace(before, () => afterText);
    }
    writeFileSync(target, text);
  }
  return dir;
}

/** A fresh copy of the pristine skeletons (checker/pristine/), named `name`: whatever the learner's exercises/ holds by now. */
export function buildSkeletons(name: string): string {
  return buildImplementation({ name, from: 'skeletons', phases: [], exitCode: 0, notPassing: [] });
}

/** The proto and generated folder a Phase 1 fixture checks. */
function protoFor(fixture: Fixture): { protoFile: string; generatedDir: string } {
  if (!fixture.mutateProto && !fixture.generated) return { protoFile: PROTO_FILE, generatedDir: GENERATED_DIR };
  const dir = mkdtempSync(path.join(tmpdir(), `checker-${fixture.name}-`));
  temporary.push(dir);
  const protoFile = path.join(dir, 'task_manager.proto');
  writeFileSync(protoFile, (fixture.mutateProto ?? ((text) => text))(readFileSync(PROTO_FILE, 'utf8')));
  const generatedDir = path.join(dir, 'generated');
  if (fixture.generated === 'missing') return { protoFile, generatedDir };
  try {
    // Fresh types for the broken proto, so only the check aimed at is affected.
    generateTypes(generatedDir, protoFile);
  } catch {
    mkdirSync(generatedDir, { recursive: true });
  }
  if (fixture.generated === 'stale') {
    const taskFile = path.join(generatedDir, 'taskmanager/Task.ts');
    writeFileSync(taskFile, readFileSync(taskFile, 'utf8').replace("'tags'", "'labels'"));
  }
  return { protoFile, generatedDir };
}

/** The names of the checks `notPassing` stands for, among the checks of `phases`. */
export function expectedNotPassing(fixture: Fixture): string[] {
  const checks = PHASES.filter((phase) => fixture.phases.includes(phase.number)).flatMap((phase) => phase.checks);
  const names = new Set<string>();
  for (const entry of fixture.notPassing) {
    const prefix = entry.replace(/^!/, '');
    const matching = prefix.startsWith('*')
      ? checks.filter((check) => check.file === prefix.slice(1))
      : checks.filter((check) => check.name.startsWith(prefix));
    assert.ok(matching.length > 0, `${fixture.name}: "${entry}" names no check of phases ${fixture.phases.join(', ')}`);
    for (const check of matching) {
      if (entry.startsWith('!')) names.delete(check.name);
      else names.add(check.name);
    }
  }
  return checks.map((check) => check.name).filter((name) => names.has(name));
}

export function defineFixtureTests(title: string, fixtures: Fixture[]): void {
  describe(title, () => {
    for (const fixture of fixtures) {
      const label = `${fixture.name}${fixture.mistake ? ` (${fixture.mistake})` : ''}: exit ${fixture.exitCode}${fixture.notPassing.length ? `, not passing: ${fixture.notPassing.join(', ')}` : ', all pass'}`;
      it(label, async () => {
        const lines: string[] = [];
        const implDir = fixture.phases.every((phase) => phase === 1) ? path.join(REPO_ROOT, 'solutions') : buildImplementation(fixture);
        const impl = resolveImplementation(implDir);
        const { exitCode, results } = await runInTerminal({
          phases: fixture.phases,
          stopAtFirstFailure: false,
          impl,
          verbose: false,
          colors: false,
          print: (line) => lines.push(line),
          rerunCommand: (phase) => `npm run check -- --phase ${phase}`,
          startTimeoutMs: fixture.startTimeoutMs,
          ...protoFor(fixture),
        });
        const transcript = hideWhatVaries(
          normalise(lines.join('\n')).replaceAll(path.relative(REPO_ROOT, implDir).split(path.sep).join('/'), '<impl>'),
          fixture,
        );
        const goldenFile = path.join(GOLDEN_DIR, `${fixture.name}.txt`);
        if (process.env.UPDATE_GOLDEN === '1') {
          mkdirSync(GOLDEN_DIR, { recursive: true });
          writeFileSync(goldenFile, `${transcript}\n`);
        }
        const checks = results.flatMap((phase) => phase.checks);
        const notPassing = checks.filter((check) => check.status !== 'pass').map((check) => check.name);
        assert.deepEqual(notPassing, expectedNotPassing(fixture), `checks that did not pass\n${transcript}`);
        assert.equal(exitCode, fixture.exitCode, transcript);
        if (fixture.edit) {
          const first = checks.find((check) => check.status !== 'pass')!;
          assert.equal(first.file, fixture.edit, `the report should say to edit ${fixture.edit}\n${transcript}`);
        }

        assert.ok(existsSync(goldenFile), `no recorded transcript ${path.relative(REPO_ROOT, goldenFile)}: record it with UPDATE_GOLDEN=1`);
        assert.equal(
          transcript,
          hideWhatVaries(normalise(readFileSync(goldenFile, 'utf8').trimEnd()), fixture),
          `transcript differs from ${path.relative(REPO_ROOT, goldenFile)} (UPDATE_GOLDEN=1 re-records)`,
        );
      });
    }
  });
}

/** Every folder in test/fixtures/impls/ (to prove each is used). */
export function fixtureFolders(): string[] {
  return readdirSync(IMPLS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}
