// Watch mode's parts without a terminal: which saves count, how saves become
// runs (debounced, one at a time, one more after a save during a run), what is
// watched, and which file the learner is sent to next.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { CheckResult, PhaseResult } from '../checker/harness/phase.ts';
import { nextStep } from '../checker/hints.ts';
import { PHASES } from '../checker/phases/index.ts';
import { isWatchedFile, RerunScheduler, watchTargets } from '../checker/watch.ts';
import { resolveImplementation } from '../lib/implementation.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { withTimeout } from './helpers.ts';

describe('watch mode: saves that count', () => {
  it('takes source files and ignores editor temporaries', () => {
    for (const name of ['server.ts', 'client.ts', 'sub/helpers.ts', 'data.json', 'task_manager.proto', 'x.mjs']) {
      assert.ok(isWatchedFile(name), name);
    }
    for (const name of [
      '.server.ts.swp', // vim
      '.server.ts.swx',
      '4913', // vim's write test
      'server.ts~', // backups
      '#server.ts#', // emacs auto-save
      '.#server.ts', // emacs lock
      'server.ts___jb_tmp___', // JetBrains
      'server.ts___jb_old___',
      'server.ts.kate-swp',
      '.DS_Store',
      'notes.md',
    ]) {
      assert.ok(!isWatchedFile(name), name);
    }
  });

  it('watches the implementation folder, and for Phase 1 the proto too', () => {
    const impl = resolveImplementation('exercises');
    const linux = watchTargets(impl, [2], 'linux');
    assert.deepEqual(
      linux.map((target) => [target.dir, target.recursive]),
      [[impl.dir, false]],
    );
    const mac = watchTargets(impl, [1, 2], 'darwin');
    assert.deepEqual(
      mac.map((target) => [target.dir, target.recursive]),
      [
        [impl.dir, true],
        [path.join(REPO_ROOT, 'protos'), false],
      ],
    );
    const protos = mac[1]!;
    assert.ok(protos.accept('task_manager.proto'));
    assert.ok(!protos.accept('other.proto'), 'only the phase’s own file outside the implementation folder');
  });
});

/** A scheduler whose runs end when the test says so. */
function controlledScheduler(debounceMs = 20) {
  const events: string[] = [];
  const endings: Array<() => void> = [];
  let onRunStart: (() => void) | undefined;
  const scheduler = new RerunScheduler(
    {
      announce: (reason) => events.push(`announce ${reason}`),
      queued: () => events.push('queued'),
      run: () => {
        events.push('run');
        onRunStart?.();
        return new Promise<void>((resolve) => endings.push(resolve));
      },
    },
    debounceMs,
  );
  /** Resolves when the next run starts. */
  const nextRun = () =>
    withTimeout(
      new Promise<void>((resolve) => {
        onRunStart = resolve;
      }),
      2000,
      'a run to start',
    );
  /** Ends the run in progress and waits until the scheduler has taken note. */
  const endRun = async () => {
    const current = scheduler.current;
    endings.shift()!();
    await current;
  };
  return { scheduler, events, nextRun, endRun };
}

describe('watch mode: from saves to runs', () => {
  it('announces at the first save of a burst and runs once after the quiet period', async () => {
    const { scheduler, events, nextRun, endRun } = controlledScheduler();
    const started = nextRun();
    scheduler.changed('saved a.ts');
    scheduler.changed('saved b.ts');
    scheduler.changed('saved a.ts');
    assert.deepEqual(events, ['announce saved a.ts'], '"Checking…" at once, the run only after the debounce');
    await started;
    await endRun();
    assert.deepEqual(events, ['announce saved a.ts', 'run']);
    assert.ok(scheduler.idle, 'nothing more is scheduled');
  });

  it('a save during a run makes exactly one more run, after it', async () => {
    const { scheduler, events, nextRun, endRun } = controlledScheduler();
    const first = nextRun();
    scheduler.runNow('start');
    await first;
    scheduler.changed('saved a.ts');
    scheduler.changed('saved b.ts');
    scheduler.runNow('you pressed r');
    assert.deepEqual(events, ['announce start', 'run', 'queued'], 'one note, no second run while one is going');
    const second = nextRun();
    await endRun();
    await second;
    await endRun();
    assert.deepEqual(events, ['announce start', 'run', 'queued', 'announce you pressed r', 'run']);
    assert.ok(scheduler.idle);
  });

  it('a failing run does not stop the scheduler, and stop() drops what is pending', async () => {
    const events: string[] = [];
    let runs = 0;
    let ran: () => void = () => {};
    const scheduler = new RerunScheduler(
      {
        announce: () => events.push('announce'),
        run: async () => {
          runs += 1;
          ran();
          throw new Error('the run broke');
        },
      },
      10,
    );
    for (let i = 1; i <= 2; i += 1) {
      const done = withTimeout(new Promise<void>((resolve) => (ran = resolve)), 2000, `run ${i}`);
      scheduler.changed('saved');
      await done;
      await scheduler.current;
    }
    assert.equal(runs, 2);
    scheduler.changed('saved');
    scheduler.stop();
    assert.ok(scheduler.idle, 'the pending run was dropped');
    scheduler.runNow('after stop');
    assert.equal(runs, 2);
  });
});

describe('watch mode: what to edit next', () => {
  const impl = resolveImplementation('exercises');
  const phase3 = PHASES.find((phase) => phase.number === 3)!;
  const phase4 = PHASES.find((phase) => phase.number === 4)!;
  const result = (phase: number, statuses: Array<CheckResult['status']>): PhaseResult => {
    const checks = PHASES.find((p) => p.number === phase)!.checks.map(
      (check, i): CheckResult => ({
        phase,
        name: check.name,
        proves: check.proves,
        file: check.file,
        status: statuses[i] ?? 'pass',
        transcript: [],
        learnerOutput: [],
      }),
    );
    return { phase, title: '', status: checks.every((c) => c.status === 'pass') ? 'pass' : 'fail', checks, durationMs: 0 };
  };

  it('names the file of the first failing check', () => {
    const serverCheck = nextStep([result(3, ['fail', 'fail'])], impl)!;
    assert.equal(serverCheck.file, 'exercises/server.ts');
    assert.equal(serverCheck.check.name, phase3.checks[0]!.name);
    const clientIndex = phase3.checks.findIndex((check) => check.file === 'client.ts');
    const clientCheck = nextStep(
      [
        result(
          3,
          phase3.checks.map((_, i) => (i === clientIndex ? 'fail' : 'pass')),
        ),
      ],
      impl,
    )!;
    assert.equal(clientCheck.file, 'exercises/client.ts', 'the check declares client.ts');
    assert.deepEqual(clientCheck.files, ['exercises/server.ts', 'exercises/client.ts']);
    const wiringIndex = phase4.checks.findIndex((check) => check.name.startsWith('server.ts installs'));
    const wiring = nextStep(
      [
        result(
          4,
          phase4.checks.map((_, i) => (i === wiringIndex ? 'fail' : 'pass')),
        ),
      ],
      impl,
    )!;
    assert.equal(wiring.file, 'exercises/server.ts');
    assert.equal(nextStep([result(4, ['fail'])], impl)!.file, 'exercises/interceptors.ts');
  });

  it('prefers a failed check to one that did not run, names --impl folders, and has nothing to say when all pass', () => {
    const step = nextStep([result(2, ['not-run', 'fail'])], resolveImplementation('solutions'))!;
    assert.equal(step.check.name, PHASES[1]!.checks[1]!.name);
    assert.equal(step.file, 'solutions/server.ts');
    assert.equal(nextStep([result(2, []), result(3, [])], impl), undefined);
  });
});
