// `npm test` runs this after typecheck and lint: every test/**/*.test.ts file
// through node's test runner. Node 20 has no --test glob (and a bare --test runs
// nothing and passes), so the files are listed here, never by hand.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../lib/proto.ts';

const testDir = path.join(REPO_ROOT, 'test');
const only = process.argv.slice(2);
const files = readdirSync(testDir, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.test.ts'))
  .filter((name) => only.length === 0 || only.some((wanted) => name.includes(wanted)))
  .map((name) => path.join('test', name))
  .sort();

// Node 20 applies --test-timeout to each test file as a whole too (each runs in a process of its
// own), and a file of grader fixtures (test/checker-wrong-*.test.ts) grades dozens of programs.
// Every wait inside a test is bounded on its own; this bounds a file that hangs anyway.
const TEST_TIMEOUT_MS = 300_000;

if (files.length === 0) {
  console.error(`no test files found in ${testDir}${only.length > 0 ? ` matching ${only.join(', ')}` : ''}`);
  process.exitCode = 1;
} else {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx/esm', '--test', '--test-concurrency=2', `--test-timeout=${TEST_TIMEOUT_MS}`, ...files],
    { cwd: REPO_ROOT, stdio: 'inherit' },
  );
  process.exitCode = result.status ?? 1;
}
