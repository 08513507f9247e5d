// Watch mode in a real terminal: tmux runs `npm run check -- --watch` on a copy of
// the pristine skeletons (checker/pristine/), the test saves files (a syntax error, then a handler that never
// answers), sees "Checking…" and a new result each time, presses q during a run,
// and asserts a clean exit with no process left behind. Needs tmux (Debian
// package `tmux`): skipped with a message without it, failed in CI.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { STATE_DIR_ENV } from '../checker/hints.ts';
import { CHECKING } from '../checker/watch.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { withTimeout } from './helpers.ts';

const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const SKIP =
  process.platform === 'win32'
    ? 'tmux does not run on Windows'
    : !HAS_TMUX && !process.env.CI
      ? 'tmux is not installed (apt-get install tmux): the terminal test of watch mode is skipped'
      : false;

/** The node processes whose command line mentions `text`: watch mode itself, the learner's server, the checker's drivers. */
function processesMentioning(text: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => {
      const args = line.trim().replace(/^\d+\s+/, '');
      return (args.startsWith(process.execPath) || args.startsWith('node ')) && args.includes(text);
    });
}

describe('watch mode in a terminal (tmux)', { skip: SKIP }, () => {
  let work: string; // the implementation folder watched, a copy of the pristine skeletons
  const copies = new Map<string, string>(); // file → its text as copied
  let socket: string;
  let scratch: string;

  before(() => {
    if (!HAS_TMUX) throw new Error('tmux is required in CI: add the Debian package tmux to .ci/run');
    // Inside the repo, so the copy's imports of lib/ and node_modules resolve (one folder deeper: ../ becomes ../../).
    mkdirSync(path.join(REPO_ROOT, '.checker'), { recursive: true });
    work = mkdtempSync(path.join(REPO_ROOT, '.checker', 'watch-test-'));
    const pristine = path.join(REPO_ROOT, 'checker/pristine');
    for (const name of readdirSync(pristine).filter((n) => n.endsWith('.ts.txt'))) {
      copies.set(path.join(work, name.replace(/\.txt$/, '')), readFileSync(path.join(pristine, name), 'utf8'));
    }
    scratch = mkdtempSync(path.join(tmpdir(), 'watch-tmux-'));
    socket = path.join(scratch, 'tmux.sock');
  });

  // Should a test fail half-way: nothing it started may outlive it (by pid, only processes naming this test's folder).
  afterEach(() => {
    spawnSync('tmux', ['-S', socket, 'kill-server']);
    for (const line of processesMentioning(work)) {
      try {
        process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  const tmux = (...args: string[]) => {
    const { TMUX: _nested, ...env } = process.env;
    const result = spawnSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', env, timeout: 5000 });
    assert.equal(result.status, 0, `tmux ${args.join(' ')}: ${result.stderr}`);
  };

  /** Starts watch mode in a new tmux session; its output (raw, including screen clears) goes to the log. */
  function startWatch(name: string) {
    for (const [file, text] of copies) writeFileSync(file, text); // each test starts from the skeletons
    const log = path.join(scratch, `${name}.log`);
    const exitFile = path.join(scratch, `${name}.exit`);
    writeFileSync(log, '');
    const command = [
      `cd '${REPO_ROOT}'`,
      'read go', // wait until the log is attached (pipe-pane), so no output is missed
      `NO_COLOR=1 ${STATE_DIR_ENV}='${scratch}' node checker/start.mjs --watch --phase 2 --impl '${work}'`,
      `echo $? > '${exitFile}'`,
    ].join('; ');
    tmux('new-session', '-d', '-s', name, '-x', '160', '-y', '50', command);
    tmux('pipe-pane', '-t', name, '-o', `cat >> '${log}'`);
    tmux('send-keys', '-t', name, 'Enter');

    const read = () => readFileSync(log, 'utf8');
    /** Resolves with the output once `test(output)` holds; the log is watched, with a slow poll as a safety net. */
    const waitFor = (what: string, test: (output: string) => boolean, ms = 20_000) => {
      let watcher: ReturnType<typeof watch> | undefined;
      let poll: NodeJS.Timeout | undefined;
      const seen = new Promise<string>((resolve) => {
        const check = () => {
          const output = read();
          if (test(output)) resolve(output);
        };
        watcher = watch(log, check);
        poll = setInterval(check, 250);
        check();
      });
      return withTimeout(seen, ms, `${what}; the terminal showed:\n${read().slice(-3000)}`).finally(() => {
        watcher?.close();
        clearInterval(poll);
      });
    };
    /** The output after the n-th "Checking…" (1-based), or undefined before it. */
    const run = (output: string, n: number) => output.split(CHECKING).slice(n).join(CHECKING) || undefined;
    const exited = (ms = 10_000) =>
      waitFor('watch mode to exit', () => existsSync(exitFile) && readFileSync(exitFile, 'utf8').trim() !== '', ms).then(() =>
        Number(readFileSync(exitFile, 'utf8').trim()),
      );
    return { waitFor, run, exited, keys: (...keys: string[]) => tmux('send-keys', '-t', name, ...keys) };
  }

  it('re-runs on a save, survives a syntax error, and q stops a run in progress with no process left', async () => {
    const watchMode = startWatch('edit');
    const server = path.join(work, 'server.ts');
    const skeleton = copies.get(server)!;

    const first = await watchMode.waitFor('the first run', (out) => /Watching .* for saves/.test(watchMode.run(out, 1) ?? ''));
    assert.match(first, /Phase 2: 0\/\d+ checks passed/);
    assert.match(first, /Next: edit \S*server\.ts to pass “CreateTask returns the new task”/);
    watchMode.keys('h');
    await watchMode.waitFor('the hint', (out) =>
      /Hint {2}store\.create[\s\S]*Press h again for a more detailed hint/.test(watchMode.run(out, 1)!),
    );

    // A syntax error: a result on screen, not the end of the watcher.
    let saved = performance.now();
    writeFileSync(server, `${skeleton}\nthis is not TypeScript {\n`);
    await watchMode.waitFor('"Checking…" after the save', (out) => watchMode.run(out, 2) !== undefined, 5000);
    const announced = performance.now() - saved;
    await watchMode.waitFor('the result of the syntax error', (out) =>
      /Phase 2: some of your code could not run/.test(watchMode.run(out, 2) ?? ''),
    );
    const resulted = performance.now() - saved;
    assert.match(watchMode.run(readFileSync(path.join(scratch, 'edit.log'), 'utf8'), 2)!, /does not compile|Expected ";"/);
    console.log(`# watch: "Checking…" ${Math.round(announced)} ms after the save, result after ${Math.round(resulted)} ms`);

    // CreateTask that never answers: each check waits for its deadline, so the run lasts seconds.
    saved = performance.now();
    writeFileSync(server, skeleton.replace("callback(todoHuman('CreateTask', 'Phase 2, step 1'));", 'void callback; // never answers'));
    await watchMode.waitFor('the next run to start the server', (out) => /Starting your server/.test(watchMode.run(out, 3) ?? ''));
    const serverFile = path.join(work, 'server.ts');
    await withTimeout(
      (async () => {
        while (processesMentioning(serverFile).length === 0) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })(),
      10_000,
      'the learner server to be running',
    );
    watchMode.keys('q');
    assert.equal(await watchMode.exited(), 0, 'q exits with 0');
    const output = readFileSync(path.join(scratch, 'edit.log'), 'utf8');
    assert.doesNotMatch(watchMode.run(output, 3)!, /Phase 2: \d+\/\d+ checks passed/, 'q came during the run');
    assert.match(output, /Stopped the run in progress/);
    assert.deepEqual(processesMentioning(work), [], 'no process outlives watch mode');
  });

  it('r checks again, and Ctrl+C quits cleanly when idle', async () => {
    const watchMode = startWatch('ctrl-c');
    await watchMode.waitFor('the first run', (out) => /Watching .* for saves/.test(watchMode.run(out, 1) ?? ''));
    watchMode.keys('r');
    await watchMode.waitFor('the run asked for with r', (out) =>
      /^ \(you pressed r\)[\s\S]*Watching .* for saves/.test(watchMode.run(out, 2) ?? ''),
    );
    watchMode.keys('C-c');
    assert.equal(await watchMode.exited(), 0);
    assert.deepEqual(processesMentioning(work), [], 'no process outlives watch mode');
  });
});
