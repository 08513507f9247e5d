// Output through a pipe is output. A program that calls process.exit() while a
// slow reader has not taken its output yet loses what the pipe could not hold
// (64 KB); one that sets process.exitCode and lets the process end delivers
// everything. The commands use the second way: a test here reads them through a
// slow pipe, and a scan keeps process.exit() out of their code but where
// nothing can be pending (checker-cli.test.ts reads the grader itself that way).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../lib/proto.ts';
import { throughSlowPipe } from './helpers.ts';

const node = `"${process.execPath}" --import tsx/esm`;

describe('output through a slow pipe', { skip: process.platform === 'win32' && 'sh' }, () => {
  it('arrives whole when the program sets process.exitCode, and is cut when it calls process.exit()', async () => {
    const { text: whole } = await throughSlowPipe(`${node} test/fixtures/processes/writes-then-ends.ts exit-code`);
    assert.equal(whole.length, 100 * 1024 + 'the last line\n'.length);
    const { text: cut } = await throughSlowPipe(`${node} test/fixtures/processes/writes-then-ends.ts process-exit`);
    assert.ok(cut.length < whole.length, `process.exit() lost output (${cut.length} of ${whole.length} bytes): the scenario is real`);
  });
});

describe('process.exit() in the commands', () => {
  it('appears only where a comment on its line or the line before says why nothing is pending', () => {
    const offenders: string[] = [];
    for (const folder of ['checker', 'scripts', 'lib', 'bench']) {
      for (const file of readdirSync(path.join(REPO_ROOT, folder), { recursive: true, encoding: 'utf8' })) {
        if (!file.endsWith('.ts') || file.includes('generated')) continue;
        const lines = readFileSync(path.join(REPO_ROOT, folder, file), 'utf8').split('\n');
        lines.forEach((line, i) => {
          if (!/process\.exit\(/.test(line) || /^\s*(\/\/|\*)/.test(line)) return;
          if (!/\/\/.*(pending|nothing|gone|at once)/i.test(`${lines[i - 1] ?? ''}\n${line}`))
            offenders.push(`${folder}/${file}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    assert.deepEqual(offenders, [], 'set process.exitCode and return, or say in a comment why no output can be pending');
  });
});
