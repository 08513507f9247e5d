// The children a program starts (servers, hosts) never outlive it: not when it
// ends, and not when a signal ends it (Ctrl+C, a test runner's timeout, kill).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type ChildTsProcess, spawnTs } from '../lib/process.ts';
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
      await withTimeout(
        (async () => {
          while (alive(serverPid)) await new Promise((resolve) => setTimeout(resolve, 20));
        })(),
        5000,
        'the server it started to end too',
      );
    });
  }
});
