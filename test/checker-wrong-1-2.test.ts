// The grader on wrong programs of Phases 1 and 2, and on code that cannot run.
import { defineFixtureTests } from './checker-fixtures.ts';
import { WRONG_PROGRAMS } from './fixtures/wrong-programs.ts';

defineFixtureTests(
  'grader: wrong programs, Phases 1 and 2',
  WRONG_PROGRAMS.filter((fixture) => fixture.phases.every((phase) => phase <= 2)),
);
