// The grader on wrong programs of Phase 3.
import { defineFixtureTests } from './checker-fixtures.ts';
import { WRONG_PROGRAMS } from './fixtures/wrong-programs.ts';

defineFixtureTests(
  'grader: wrong programs, Phase 3',
  WRONG_PROGRAMS.filter((fixture) => fixture.phases.includes(3)),
);
