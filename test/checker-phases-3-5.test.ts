// Checker fixtures for phases 3 to 5: each broken implementation fails the check aimed at it.
import { defineFixtureTests, FIXTURES } from './checker-fixtures.ts';

defineFixtureTests(
  'checker: phases 3 to 5',
  FIXTURES.filter((fixture) => fixture.phases.every((phase) => phase >= 3)),
);
