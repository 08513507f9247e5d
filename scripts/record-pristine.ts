// For maintainers, after changing a skeleton in exercises/: copies every file of
// exercises/ to checker/pristine/<file>.txt, the copies `npm run reset` restores
// (test/reset.test.ts fails until they match). It refuses a file without a
// TODO(human) marker, which would be a solved exercise rather than a skeleton.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../lib/proto.ts';
import { PRISTINE_DIR, PRISTINE_SUFFIX, pristineNames } from './reset.ts';

const exercisesDir = path.join(REPO_ROOT, 'exercises');
const names = readdirSync(exercisesDir, { withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => entry.name)
  .sort();
const solved = names.filter((name) => !readFileSync(path.join(exercisesDir, name), 'utf8').includes('TODO(human)'));
if (solved.length > 0) {
  console.error(`not recording: ${solved.join(', ')} ha${solved.length === 1 ? 's' : 've'} no TODO(human) marker (solved?)`);
  process.exitCode = 1;
} else {
  for (const name of names) {
    writeFileSync(path.join(PRISTINE_DIR, `${name}${PRISTINE_SUFFIX}`), readFileSync(path.join(exercisesDir, name)));
    console.log(`recorded checker/pristine/${name}${PRISTINE_SUFFIX}`);
  }
  for (const stale of pristineNames().filter((name) => !names.includes(name))) {
    rmSync(path.join(PRISTINE_DIR, `${stale}${PRISTINE_SUFFIX}`));
    console.log(`removed checker/pristine/${stale}${PRISTINE_SUFFIX} (no longer in exercises/)`);
  }
}
