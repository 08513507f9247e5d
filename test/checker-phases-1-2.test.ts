// The checker on the reference, the skeletons, a correct implementation written
// differently, and fixtures for phases 1 and 2 and for code that cannot run.
import { defineFixtureTests, FIXTURES } from './checker-fixtures.ts';

defineFixtureTests(
  'checker: reference, skeletons, phases 1 and 2, code that cannot run',
  FIXTURES.filter((fixture) => fixture.phases.some((phase) => phase <= 2)),
);
