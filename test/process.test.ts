// The children a program starts (servers, hosts) never outlive it: not when it
// ends, and not when a signal ends it (Ctrl+C, a test runner's timeout, kill).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { type ChildTsProcess, spawnCaptured, spawnTs } from '../lib/process.ts';
import { withTimeout } from './helpers.ts';

const started: ChildTsProcess[] = [];
after(async () => {
  await Promise.all(started.map((child) => child.stop(0)));
});

/** True while a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once no process has this pid; fails after 5 s (a server's graceful stop takes at most about 1 s). */
function gone(pid: number, what: string): Promise<void> {
  return withTimeout(
    (async () => {
      while (alive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    })(),
    5000,
    what,
  );
}

describe('children of a program that is stopped by a signal', { skip: process.platform === 'win32' && 'POSIX signals' }, () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`are stopped with it (${signal})`, async () => {
      const program = spawnTs('test/fixtures/processes/starts-a-server.ts', []);
      started.push(program);
      const line = await program.waitForLine(/^server pid \d+$/, 15_000);
      assert.ok(line, program.output.join('\n'));
      const serverPid = Number(line.split(' ').pop());
      assert.ok(alive(serverPid));
      program.child.kill(signal); // the program only, as a runner's timeout does
      await withTimeout(program.exited, 5000, 'the program to end');
      await gone(serverPid, 'the server it started to end too');
    });
  }
});

/** This environment without NODE_TEST_CONTEXT, which would make the inner runner report to this one instead of running the file. */
function runnerEnv(pidFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SERVER_PID_FILE: pidFile };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

describe('a test run that times out', { skip: process.platform === 'win32' && 'POSIX signals' }, () => {
  it('leaves no server behind (node --test with --test-timeout, as npm test runs files)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'timed-out-run-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const pidFile = path.join(dir, 'server.pid');
    // The fixture's test starts the reference server, writes its pid, and never ends.
    const runner = spawnCaptured(
      process.execPath,
      ['--import', 'tsx/esm', '--test', '--test-timeout=5000', 'test/fixtures/processes/hangs-with-a-server.ts'],
      { env: runnerEnv(pidFile) },
    );
    started.push(runner);
    const code = await withTimeout(runner.exited, 20_000, 'the test runner to give up on the file');
    assert.notEqual(code, 0, 'the runner reports the timed-out test');
    const serverPid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(serverPid > 0, runner.output.join('\n'));
    await gone(serverPid, 'the server the timed-out test started to end');
  });
});
