// The grader on wrong programs of Phase 6: the client's importTasks and syncTasks, and
// any other not filed with ImportTasks or SyncTasks (see checker-wrong-6.test.ts).
import { defineFixtureTests } from './checker-fixtures.ts';
import { WRONG_PROGRAMS_6 } from './fixtures/wrong-programs-6.ts';

defineFixtureTests(
  'grader: wrong programs, Phase 6 (client.ts)',
  WRONG_PROGRAMS_6.filter((fixture) => !fixture.name.startsWith('import-') && !fixture.name.startsWith('sync-')),
);
