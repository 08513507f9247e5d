// What the README's "Linux, macOS or Windows" needs from the grader, tested where
// it can be here: paths in messages as each platform writes them (path.win32 and
// path.posix), and stopping a child together with what it started: the POSIX
// process-group kill for real, and the Windows taskkill command both as planned
// and as run (against a stand-in taskkill on POSIX; the real one on Windows).
// Line endings have their own file: test/line-endings.test.ts.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { displayFolder, displayPath } from '../lib/display-path.ts';
import { type ChildTsProcess, killTrees, spawnTs, taskkillCommand } from '../lib/process.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { withTimeout } from './helpers.ts';

const WITH_GRANDCHILD = path.join(REPO_ROOT, 'test/fixtures/processes/with-grandchild.ts');

const started: ChildTsProcess[] = [];
const temporary: string[] = [];
after(async () => {
  await Promise.all(started.map((launched) => launched.stop(0)));
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe('paths in messages', () => {
  const win32 = { root: 'C:\\Users\\ada\\workbook', pathApi: path.win32 };
  const posix = { root: '/home/ada/workbook', pathApi: path.posix };

  it('are relative to the checkout, with backslashes on Windows', () => {
    assert.equal(displayPath('C:\\Users\\ada\\workbook\\exercises\\server.ts', win32), 'exercises\\server.ts');
    assert.equal(displayPath('C:/Users/ada/workbook/exercises/server.ts', win32), 'exercises\\server.ts', 'forward slashes in');
    assert.equal(displayPath('c:\\users\\ADA\\Workbook\\exercises\\server.ts', win32), 'exercises\\server.ts', 'case-insensitive');
    assert.equal(
      displayPath('C:\\Users\\ada\\workbook\\.checker\\backups\\2026-01-31T09-30-00', win32),
      '.checker\\backups\\2026-01-31T09-30-00',
    );
    assert.equal(displayFolder('C:\\Users\\ada\\workbook\\exercises', win32), 'exercises\\');
    assert.equal(displayPath('C:\\Users\\ada\\workbook', win32), '.');
  });

  it('are relative to the checkout, with slashes on Linux and macOS', () => {
    assert.equal(displayPath('/home/ada/workbook/exercises/server.ts', posix), 'exercises/server.ts');
    assert.equal(displayFolder('/home/ada/workbook/exercises/', posix), 'exercises/');
    assert.equal(displayPath('/home/ada/workbook/..notes/x.ts', posix), '..notes/x.ts', 'a name starting with two dots is inside');
    assert.equal(displayPath('/home/ada/workbook', posix), '.');
  });

  it('are absolute outside the checkout, also on another drive', () => {
    assert.equal(displayPath('C:\\Users\\ada\\submissions\\bob', win32), 'C:\\Users\\ada\\submissions\\bob');
    assert.equal(displayFolder('D:\\grading\\bob', win32), 'D:\\grading\\bob\\');
    assert.equal(displayPath('/tmp/submissions/bob/server.ts', posix), '/tmp/submissions/bob/server.ts');
  });

  it('use this platform’s separator by default', () => {
    assert.equal(displayPath(path.join(REPO_ROOT, 'exercises', 'server.ts')), ['exercises', 'server.ts'].join(path.sep));
  });
});

describe('stopping a child stops what it started', () => {
  it('stop() ends a child and its grandchild (a process group on POSIX, taskkill /T on Windows)', async () => {
    const launched = spawnTs(WITH_GRANDCHILD, []);
    started.push(launched);
    assert.ok(await launched.findLine(/^grandchild \d+$/, 10_000), launched.output.join('\n'));
    // `exited` (which stop() awaits) waits for the output pipes, which the grandchild holds open
    // until it exits: stop() returning proves the grandchild is gone too.
    await withTimeout(launched.stop(), 10_000, 'stop() to end the child and its grandchild');
  });

  it('on Windows runs taskkill /T /F for each tree, from System32 when SystemRoot is known', () => {
    assert.deepEqual(taskkillCommand([1234], { SystemRoot: 'C:\\WINDOWS' }), {
      command: 'C:\\WINDOWS\\System32\\taskkill.exe',
      args: ['/T', '/F', '/PID', '1234'],
    });
    assert.deepEqual(taskkillCommand([1, 2], {}), { command: 'taskkill', args: ['/T', '/F', '/PID', '1', '/PID', '2'] });
  });

  it('on Windows runs that command without a shell, and the tree is gone when it returns', async () => {
    const launched = spawnTs(WITH_GRANDCHILD, []);
    started.push(launched);
    assert.ok(await launched.findLine(/^grandchild \d+$/, 10_000), launched.output.join('\n'));
    let env = process.env;
    let record: string | undefined;
    if (process.platform !== 'win32') {
      // A stand-in taskkill on the PATH: records its arguments, then does what /T /F does, on
      // the process group of each /PID (spawnTs makes the child lead one on POSIX).
      const bin = mkdtempSync(path.join(tmpdir(), 'taskkill-'));
      temporary.push(bin);
      record = path.join(bin, 'arguments');
      const script = path.join(bin, 'taskkill');
      const standIn = [
        `#!${process.execPath}`,
        'const args = process.argv.slice(2);',
        `require('node:fs').writeFileSync(${JSON.stringify(record)}, args.join(' '));`,
        "args.forEach((arg, i) => arg === '/PID' && process.kill(-Number(args[i + 1]), 'SIGKILL'));",
      ];
      writeFileSync(script, `${standIn.join('\n')}\n`);
      chmodSync(script, 0o755);
      env = { PATH: `${bin}${path.delimiter}${process.env.PATH}` };
    }
    killTrees([launched.child], 'SIGTERM', { platform: 'win32', env });
    if (record) assert.equal(readFileSync(record, 'utf8'), `/T /F /PID ${launched.child.pid}`);
    // Its output closes only once the grandchild has exited too (see with-grandchild.ts).
    await withTimeout(launched.exited, 10_000, 'the child and its grandchild to exit');
  });
});
