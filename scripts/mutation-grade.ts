// The test Stryker runs for each mutant (scripts/mutation.ts writes the command):
// the grader, on the mutated solutions/*.ts of Stryker's sandbox (the current
// folder). The sandbox lies outside this checkout, where `#lib/...` imports do
// not resolve, so the files are copied into a git-ignored folder inside it
// (.checker/mutants/<pid>/) and graded there with the real grader, as `--impl`
// would. The mutant Stryker switches on travels in the environment
// (__STRYKER_ACTIVE_MUTANT__) to every process the grader starts.
// Exit 0: every check passed (the mutant survived); 1 or 2: it was killed. The
// checks that did not pass are printed, one line each (Stryker keeps them as
// the reason a mutant was killed).
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PHASES } from '../checker/phases/index.ts';
import { runChecker } from '../checker/run.ts';
import { exitAfterOutput } from '../lib/cli.ts';
import { resolveImplementation } from '../lib/implementation.ts';
import { killAllChildren } from '../lib/process.ts';
import { REPO_ROOT } from '../lib/proto.ts';

export const MUTANTS_DIR = path.join(REPO_ROOT, '.checker', 'mutants');

const { values } = parseArgs({
  options: {
    phases: { type: 'string', default: PHASES.map((phase) => phase.number).join(',') },
    from: { type: 'string', default: 'solutions' },
  },
});
const phases = values.phases.split(',').map(Number);
const source = path.resolve(values.from);
const target = path.join(MUTANTS_DIR, String(process.pid));

const removeCopy = () => rmSync(target, { recursive: true, force: true });

// Stryker stops a run that takes too long: leave no server and no copy behind.
process.once('SIGTERM', () => {
  killAllChildren();
  removeCopy();
  exitAfterOutput(143);
});

mkdirSync(target, { recursive: true });
try {
  for (const name of readdirSync(source)) {
    if (name.endsWith('.ts')) copyFileSync(path.join(source, name), path.join(target, name));
  }
  const { exitCode, results } = await runChecker({
    phases,
    stopAtFirstFailure: true,
    impl: resolveImplementation(target),
    verbose: false,
    print: () => {},
  });
  for (const check of results.flatMap((phase) => phase.checks)) {
    if (check.status === 'pass') continue;
    const why = check.failure
      ? `expected ${check.failure.expected}; received ${check.failure.received}`
      : (check.reason ?? check.error?.summary ?? check.status);
    console.log(`✘ Phase ${check.phase}: ${check.name} [${check.file}] ${why.replace(/\s+/g, ' ').slice(0, 300)}`);
  }
  process.exitCode = exitCode;
} finally {
  removeCopy();
}
