// The grader on the reference, a correct implementation written differently, and the untouched skeletons.
import { defineFixtureTests } from './checker-fixtures.ts';
import { RIGHT_PROGRAMS } from './fixtures/right-programs.ts';

defineFixtureTests('grader: programs that are right (or untouched)', RIGHT_PROGRAMS);
