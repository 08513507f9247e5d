// The checker's own tests, CodeCrafters-style: each fixture (a folder in
// test/fixtures/impls/ laid out like exercises/, or a mutated proto) goes through
// the real checker; the test asserts the exit code and exactly which checks do
// not pass, then compares the normalised transcript with test/fixtures/golden/.
// Re-record the transcripts with: UPDATE_GOLDEN=1 npm test
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runChecker } from '../checker/run.ts';
import { resolveImplementation } from '../lib/implementation.ts';
import { GENERATED_DIR, PROTO_FILE, REPO_ROOT } from '../lib/proto.ts';
import { generateTypes } from '../scripts/generate.ts';

export interface Fixture {
  name: string;
  /** exercises, solutions, or a folder under test/fixtures/impls/ (default: the fixture's name). */
  impl?: string;
  phases: number[];
  exitCode: 0 | 1 | 2;
  /** The checks that must not pass (by the start of their name); every other check must pass. */
  notPassing: string[];
  /** Phase 1 fixtures: how to break a copy of the proto. */
  mutateProto?: (proto: string) => string;
  /** Phase 1: break a copy of lib/generated instead. */
  staleGenerated?: boolean;
  startTimeoutMs?: number;
}

const GOLDEN_DIR = path.join(REPO_ROOT, 'test/fixtures/golden');
const IMPLS_DIR = path.join(REPO_ROOT, 'test/fixtures/impls');

/** Replaces what changes from run to run (ports, ids, times, paths) with placeholders. */
export function normalise(transcript: string): string {
  return transcript
    .split('\n')
    .filter((line) => !/^\s+\[your (server|client|interceptor)\] /.test(line) && !/^\s+Output$/.test(line))
    .map((line) =>
      line
        .replaceAll(REPO_ROOT.replace(/\/$/, ''), '<repo>')
        .replace(new RegExp(`${tmpdir()}/checker-[\\w-]+-[A-Za-z0-9]{6}(?=/)`, 'g'), '<tmp>')
        // How many clock-made ids collide depends on timing; that some do is what counts.
        .replace(/Received {2}\d+ different ids/, 'Received  <n> different ids')
        .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
        .replace(/\b(missing|list)-[a-z0-9]{6}\b/g, '$1-<random>')
        .replace(/\(\d+\.\d s\)/g, '(<s>)')
        .replace(/\b\d+ ms\b/g, '<n> ms')
        .replace(/duration_ms=[\d.]+/g, 'duration_ms=<ms>')
        .replace(/time=\d{10,}/g, 'time=<epoch>')
        .replace(/^(\s+)at .*$/, '$1at <stack frame>')
        .replace(/^(\s*)Node\.js v[\d.]+$/, '$1Node.js <version>')
        .replace(/\s+$/, ''),
    )
    .filter((line, i, lines) => !(line.endsWith('at <stack frame>') && lines[i - 1]?.endsWith('at <stack frame>')))
    .join('\n');
}

const temporary: string[] = [];
after(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** The proto and generated folder a phase 1 fixture checks. */
function protoFor(fixture: Fixture): { protoFile: string; generatedDir: string } {
  if (!fixture.mutateProto && !fixture.staleGenerated) return { protoFile: PROTO_FILE, generatedDir: GENERATED_DIR };
  const dir = mkdtempSync(path.join(tmpdir(), `checker-${fixture.name}-`));
  temporary.push(dir);
  const protoFile = path.join(dir, 'task_manager.proto');
  writeFileSync(protoFile, (fixture.mutateProto ?? ((text) => text))(readFileSync(PROTO_FILE, 'utf8')));
  const generatedDir = path.join(dir, 'generated');
  if (fixture.staleGenerated) {
    generateTypes(generatedDir, protoFile);
    const taskFile = path.join(generatedDir, 'taskmanager/Task.ts');
    writeFileSync(taskFile, readFileSync(taskFile, 'utf8').replace("'tags'", "'labels'"));
  } else {
    // Fresh types for the broken proto, so only the check aimed at is affected.
    try {
      generateTypes(generatedDir, protoFile);
    } catch {
      mkdirSync(generatedDir, { recursive: true });
    }
  }
  return { protoFile, generatedDir };
}

export function defineFixtureTests(title: string, fixtures: Fixture[]): void {
  describe(title, () => {
    for (const fixture of fixtures) {
      it(`${fixture.name}: exit ${fixture.exitCode}${fixture.notPassing.length ? `, not passing: ${fixture.notPassing.length}` : ', all pass'}`, async () => {
        const lines: string[] = [];
        const implDir =
          fixture.impl === 'exercises' || fixture.impl === 'solutions' ? fixture.impl : path.join(IMPLS_DIR, fixture.impl ?? fixture.name);
        const { exitCode, results } = await runChecker({
          phases: fixture.phases,
          stopAtFirstFailure: false,
          impl: resolveImplementation(fixture.phases.every((p) => p === 1) ? 'solutions' : implDir),
          verbose: false,
          json: false,
          colors: false,
          print: (line) => lines.push(line),
          rerunCommand: (phase) => `npm run check -- --phase ${phase}`,
          startTimeoutMs: fixture.startTimeoutMs,
          ...protoFor(fixture),
        });
        const transcript = normalise(lines.join('\n'));
        const notPassing = results.flatMap((phase) => phase.checks.filter((check) => check.status !== 'pass').map((check) => check.name));
        const expected = fixture.notPassing.map((start) => {
          const match =
            notPassing.find((name) => name.startsWith(start)) ??
            results.flatMap((p) => p.checks).find((c) => c.name.startsWith(start))?.name;
          assert.ok(match, `"${start}" names a check of phases ${fixture.phases.join(', ')}`);
          return match;
        });
        assert.deepEqual(notPassing, expected, `checks that did not pass\n${transcript}`);
        assert.equal(exitCode, fixture.exitCode, transcript);

        const goldenFile = path.join(GOLDEN_DIR, `${fixture.name}.txt`);
        if (process.env.UPDATE_GOLDEN === '1') {
          mkdirSync(GOLDEN_DIR, { recursive: true });
          writeFileSync(goldenFile, `${transcript}\n`);
        }
        assert.ok(existsSync(goldenFile), `no recorded transcript ${path.relative(REPO_ROOT, goldenFile)}: record it with UPDATE_GOLDEN=1`);
        assert.equal(
          transcript,
          readFileSync(goldenFile, 'utf8').trimEnd(),
          `transcript differs from ${path.relative(REPO_ROOT, goldenFile)} (UPDATE_GOLDEN=1 re-records)`,
        );
      });
    }
  });
}

/** Every folder in test/fixtures/impls/ (to prove each has a test). */
export function fixtureFolders(): string[] {
  return readdirSync(IMPLS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}

// ---- The fixtures: what each must do ----

const ALL = [1, 2, 3, 4, 5];
const PHASE_2_ONWARD = [
  'CreateTask returns',
  'CreateTask rejects',
  'GetTask returns',
  'GetTask of a missing',
  'UpdateTask changes',
  'UpdateTask rejects',
  'DeleteTask',
  'ListTasks',
  'Ids stay unique',
  'A watcher receives',
  'Two watchers',
  'A watcher that leaves',
  'Your watchTasks',
  'The interceptor logs each',
  'The interceptor logs a cancelled',
  'Each log line',
  'server.ts installs',
  'fetchTask',
  'Calls without',
  'Calls with the token',
  'The logging interceptor still',
  'Your client sends',
  'Your fetchTask gives up',
  'Your server forgets',
];

const FIXTURES_1_2: Fixture[] = [
  { name: 'reference', impl: 'solutions', phases: ALL, exitCode: 0, notPassing: [] },
  { name: 'skeletons', impl: 'exercises', phases: ALL, exitCode: 1, notPassing: PHASE_2_ONWARD },
  { name: 'own-store', phases: ALL, exitCode: 0, notPassing: [] },

  {
    name: 'proto-syntax-error',
    phases: [1],
    exitCode: 1,
    mutateProto: (p) => p.replace('string title = 2;', 'string title = 2'),
    notPassing: ['The proto file parses', 'The enums', 'The messages', 'The proto uses', 'TaskManager has', 'The generated types'],
  },
  {
    name: 'proto-enum-renumbered',
    phases: [1],
    exitCode: 1,
    mutateProto: (p) => p.replace('TASK_STATUS_DONE = 3;', 'TASK_STATUS_DONE = 4;'),
    notPassing: ['The enums'],
  },
  {
    name: 'proto-field-renumbered',
    phases: [1],
    exitCode: 1,
    mutateProto: (p) => p.replace('string created_at = 5;', 'string created_at = 8;'),
    notPassing: ['The messages'],
  },
  {
    name: 'proto-no-oneof',
    phases: [1],
    exitCode: 1,
    mutateProto: (p) =>
      p.replace(/oneof filter \{\s*TaskStatus status = 1;\s*string tag = 2;\s*\}/, 'TaskStatus status = 1;\n  string tag = 2;'),
    notPassing: ['The proto uses'],
  },
  {
    name: 'proto-watch-not-streaming',
    phases: [1],
    exitCode: 1,
    mutateProto: (p) => p.replace('returns (stream TaskEvent)', 'returns (TaskEvent)'),
    notPassing: ['TaskManager has'],
  },
  { name: 'proto-stale-generated', phases: [1], exitCode: 1, staleGenerated: true, notPassing: ['The generated types'] },

  { name: 'create-changes-title', phases: [2], exitCode: 1, notPassing: ['CreateTask returns'] },
  { name: 'no-title-validation', phases: [2], exitCode: 1, notPassing: ['CreateTask rejects'] },
  { name: 'get-answers-task-itself', phases: [2], exitCode: 1, notPassing: ['GetTask returns'] },
  { name: 'get-never-answers', phases: [2], exitCode: 1, notPassing: ['GetTask returns'] },
  { name: 'update-overwrites-unset', phases: [2], exitCode: 1, notPassing: ['UpdateTask changes'] },
  { name: 'update-missing-unknown', phases: [2], exitCode: 1, notPassing: ['UpdateTask rejects'] },
  { name: 'delete-returns-nothing', phases: [2], exitCode: 1, notPassing: ['DeleteTask'] },
  { name: 'list-ignores-filter', phases: [2], exitCode: 1, notPassing: ['ListTasks'] },
  { name: 'ids-race', phases: [2], exitCode: 1, notPassing: ['Ids stay unique'] },

  { name: 'server-never-binds', phases: [2], exitCode: 2, notPassing: PHASE_2_ONWARD.slice(0, 9) },
  { name: 'server-crashes-at-start', phases: [2], exitCode: 2, notPassing: PHASE_2_ONWARD.slice(0, 9) },
  { name: 'server-never-listens', phases: [2], exitCode: 2, startTimeoutMs: 1500, notPassing: PHASE_2_ONWARD.slice(0, 9) },
  { name: 'syntax-error', phases: [2], exitCode: 2, notPassing: PHASE_2_ONWARD.slice(0, 9) },
];

const FIXTURES_3_4: Fixture[] = [
  // A server that never writes fails every check that waits for an event.
  { name: 'watcher-never-sends', phases: [3], exitCode: 1, notPassing: ['A watcher receives', 'Two watchers', 'A watcher that leaves'] },
  { name: 'events-out-of-order', phases: [3], exitCode: 1, notPassing: ['A watcher receives'] },
  { name: 'only-one-watcher', phases: [3], exitCode: 1, notPassing: ['Two watchers'] },
  { name: 'watcher-leak', phases: [3], exitCode: 1, notPassing: ['A watcher that leaves'] },
  { name: 'client-watch-ignores-events', phases: [3], exitCode: 1, notPassing: ['Your watchTasks'] },

  {
    name: 'interceptor-logs-nothing',
    phases: [4],
    exitCode: 1,
    notPassing: ['The interceptor logs each', 'The interceptor logs a cancelled', 'Each log line'],
  },
  { name: 'interceptor-logs-twice', phases: [4], exitCode: 1, notPassing: ['The interceptor logs each'] },
  { name: 'interceptor-no-cancel', phases: [4], exitCode: 1, notPassing: ['The interceptor logs a cancelled'] },
  { name: 'interceptor-bad-format', phases: [4], exitCode: 1, notPassing: ['Each log line'] },
  { name: 'interceptor-not-wired', phases: [4], exitCode: 1, notPassing: ['server.ts installs'] },
  { name: 'client-swallows-error', phases: [4], exitCode: 1, notPassing: ['fetchTask'] },

  // A server without auth refuses nothing, so the logging check has nothing to look at.
  { name: 'auth-missing', phases: [5], exitCode: 1, notPassing: ['Calls without', 'The logging interceptor still'] },
  { name: 'auth-blocks-health', phases: [5], exitCode: 1, notPassing: ['Calls with the token'] },
  { name: 'auth-before-logging', phases: [5], exitCode: 1, notPassing: ['The logging interceptor still'] },
  { name: 'client-no-token', phases: [5], exitCode: 1, notPassing: ['Your client sends'] },
  { name: 'client-no-deadline', phases: [5], exitCode: 1, notPassing: ['Your fetchTask gives up'] },
  { name: 'watcher-leak-with-deadline', impl: 'watcher-leak', phases: [5], exitCode: 1, notPassing: ['Your server forgets'] },
];

export const FIXTURES: Fixture[] = [...FIXTURES_1_2, ...FIXTURES_3_4];
