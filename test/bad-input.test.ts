// Bad input to every command gets one clear line (and, for a wrong command
// line, the usage) and a non-zero exit, never a stack trace.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadSync } from '@grpc/proto-loader';
import { explainStartFailure } from '../checker/harness/explain.ts';
import { protoParseProblem } from '../lib/cli.ts';
import { generateTypes } from '../lib/codegen.ts';
import { LOADER_OPTIONS, PROTO_FILE, REPO_ROOT } from '../lib/proto.ts';
import { runTs } from './helpers.ts';

const temporary: string[] = [];
after(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** Runs a command (a script with its arguments) and checks it fails with `code` in at most `lines` lines of stderr, no stack. */
async function expectClearFailure(script: string, args: string[], code: number, pattern: RegExp, lines = 2): Promise<void> {
  const { code: exit, stderr } = await runTs(script, args, { stdin: 'pipe' }).done;
  const label = `${script} ${args.join(' ')}`;
  assert.equal(exit, code, `${label}: exit code\n${stderr}`);
  assert.match(stderr, pattern, label);
  assert.doesNotMatch(stderr, /^\s+at /m, `${label}: no stack trace\n${stderr}`);
  assert.ok(stderr.trim().split('\n').length <= lines, `${label}: at most ${lines} line(s)\n${stderr}`);
}

describe('bad input to the commands', () => {
  it('npm run check: unknown flag, a phase that does not exist, modes that do not go together', async () => {
    await expectClearFailure('checker/start.mjs', ['--colour'], 2, /Unknown option '--colour'[\s\S]*usage: npm run check/);
    await expectClearFailure('checker/start.mjs', ['--phase', '9'], 2, /--phase must be 1 to \d or all, got "9"/);
    await expectClearFailure('checker/start.mjs', ['--json', '--watch'], 2, /--json and --watch do not go together/);
    await expectClearFailure('checker/start.mjs', ['--hint', '--phase', '0'], 2, /--phase must be/);
  });

  it('npm run check --impl: a folder that is missing, one outside the workbook, and one that lacks a file', async () => {
    await expectClearFailure(
      'checker/start.mjs',
      ['--impl', 'no-such-folder'],
      2,
      /--impl no-such-folder: there is no folder no-such-folder/,
    );
    const dir = path.join(REPO_ROOT, '.checker', `lacking-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    temporary.push(dir);
    writeFileSync(path.join(dir, 'server.ts'), '');
    await expectClearFailure('checker/start.mjs', ['--impl', dir], 2, /lacks interceptors\.ts, client\.ts/);
    // Outside, @grpc/grpc-js and #lib/... do not resolve: the learner's code would crash with a loader error.
    const outside = mkdtempSync(path.join(tmpdir(), 'impl-outside-'));
    temporary.push(outside);
    await expectClearFailure('checker/start.mjs', ['--impl', outside], 2, /is outside the workbook; copy the folder into it/);
  });

  it('npm run server / client: a port that is not a number, an --impl folder that is missing, an unknown program', async () => {
    await expectClearFailure(
      'scripts/run.ts',
      ['server', '--port', 'abc'],
      2,
      /--port must be a whole number from 0 to 65535, got "abc"/,
      1,
    );
    await expectClearFailure('scripts/run.ts', ['client', '--port', '70000'], 2, /--port must be a whole number/, 1);
    await expectClearFailure('scripts/run.ts', ['server', '--impl', 'nowhere'], 2, /--impl nowhere: there is no folder/);
    await expectClearFailure('scripts/run.ts', ['serve'], 2, /usage: npm run <server\|client\|watch>/, 1);
  });

  it('npm run server: a port in use', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as net.AddressInfo;
    try {
      await expectClearFailure(
        'scripts/run.ts',
        ['server', '--impl', 'solutions', '--host', '127.0.0.1', '--port', String(port)],
        1,
        /the port is already in use/,
        2, // grpc-js logs its own line first ("E No address added out of total 1 resolved")
      );
    } finally {
      busy.close();
    }
  });

  it('npm run solution, reset and describe: unknown arguments and files', async () => {
    await expectClearFailure('scripts/solution.ts', ['bogus'], 2, /usage: npm run solution/, 1);
    await expectClearFailure('scripts/solution.ts', ['--diff', 'nothing.ts'], 2, /"nothing\.ts" has no reference in solutions/);
    await expectClearFailure('scripts/reset.ts', ['--bogus'], 2, /Unknown option '--bogus'[\s\S]*usage: npm run reset/);
    await expectClearFailure('scripts/reset.ts', ['nothing.ts'], 2, /"nothing\.ts" is not an exercise file/, 1);
    await expectClearFailure('scripts/describe.ts', ['--all'], 2, /npm run describe takes no arguments/, 1);
  });

  it('a proto with a syntax error: one line that names the file and the line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'broken-proto-'));
    temporary.push(dir);
    const broken = path.join(dir, 'task_manager.proto');
    writeFileSync(broken, 'syntax = "proto3";\nmessage Task {\n  string id = 1\n  string title = 2;\n}\n');
    let problem: string | undefined;
    try {
      loadSync(broken, LOADER_OPTIONS);
    } catch (error) {
      problem = protoParseProblem(error, broken);
    }
    assert.match(problem ?? '', /task_manager\.proto does not parse: illegal token 'string', ';' expected \(line 4\)/);
    assert.throws(
      () => generateTypes(path.join(dir, 'out'), broken),
      (error: Error) => {
        assert.equal(error.message, problem, 'npm run generate says the same, with the right line');
        return true;
      },
    );
    // A server that cannot start because of it: the grader says so in one line.
    const { summary } = explainStartFailure(["Error: illegal token 'string', ';' expected (line 40)", '    at illegal (…)']);
    assert.equal(summary, "protos/task_manager.proto does not parse: illegal token 'string', ';' expected (line 40)");
    assert.equal(protoParseProblem(new Error('something else'), PROTO_FILE), undefined, 'other errors are not called proto errors');
  });
});
