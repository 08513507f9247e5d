// The grader on wrong programs of Phase 6: the server's SyncTasks (see checker-wrong-6.test.ts).
import { defineFixtureTests } from './checker-fixtures.ts';
import { WRONG_PROGRAMS_6 } from './fixtures/wrong-programs-6.ts';

defineFixtureTests(
  'grader: wrong programs, Phase 6 (SyncTasks in server.ts)',
  WRONG_PROGRAMS_6.filter((fixture) => fixture.name.startsWith('sync-')),
);
