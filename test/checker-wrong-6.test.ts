// The grader on wrong programs of Phase 6, in three files so that each runs well
// within the test timeout: here the server's ImportTasks; SyncTasks in
// checker-wrong-6-sync.test.ts, the client's functions in checker-wrong-6-client.test.ts.
import { defineFixtureTests } from './checker-fixtures.ts';
import { WRONG_PROGRAMS_6 } from './fixtures/wrong-programs-6.ts';

defineFixtureTests(
  'grader: wrong programs, Phase 6 (ImportTasks in server.ts)',
  WRONG_PROGRAMS_6.filter((fixture) => fixture.name.startsWith('import-')),
);
