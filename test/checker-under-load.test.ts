// The grader on a loaded machine: while two processes spin on the two cores, the
// reference still passes every check of every phase. Slower, same verdicts: no
// check may fail because the machine is busy. Nothing here is timed.
import { after, before } from 'node:test';
import { type ChildTsProcess, spawnCaptured } from '../lib/process.ts';
import { defineFixtureTests } from './checker-fixtures.ts';
import { RIGHT_PROGRAMS } from './fixtures/right-programs.ts';

const hogs: ChildTsProcess[] = [];
before(() => {
  for (let i = 0; i < 2; i++) hogs.push(spawnCaptured(process.execPath, ['-e', 'for (;;) {}']));
});
after(() => Promise.all(hogs.map((hog) => hog.stop(0))));

defineFixtureTests(
  'grader: the reference under two CPU hogs',
  RIGHT_PROGRAMS.filter((fixture) => fixture.name === 'reference'),
);
