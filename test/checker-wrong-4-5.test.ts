// The grader on wrong programs of Phases 4 and 5.
import { defineFixtureTests } from './checker-fixtures.ts';
import { WRONG_PROGRAMS } from './fixtures/wrong-programs.ts';

defineFixtureTests(
  'grader: wrong programs, Phases 4 and 5',
  WRONG_PROGRAMS.filter((fixture) => fixture.phases.some((phase) => phase >= 4)),
);
