// `npm run bench:checker [-- --runs N] [-- --impl exercises]`: the checker's wall
// time per phase and for all phases (median of N runs, default 5), as a learner
// experiences it: a fresh `node --import tsx checker/main.ts` process each time.
// A benchmark, not a test: it prints figures and asserts nothing.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { PHASES } from '../checker/phases/index.ts';
import { REPO_ROOT } from '../lib/proto.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, impl: { type: 'string', default: 'solutions' } } });
const runs = Number(values.runs);
const targets = [...PHASES.map((phase) => String(phase.number)), 'all'];

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

console.log(`checker wall time, --impl ${values.impl}, median of ${runs} runs (first run warms tsx's cache and is not counted)`);
console.log('phase   median    min      max      exit');
for (const phase of targets) {
  const times: number[] = [];
  let exit: number | null = null;
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'checker/main.ts', '--phase', phase, '--impl', values.impl], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
    });
    if (i > 0) times.push(performance.now() - started);
    exit = result.status;
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padEnd(9);
  console.log(`${phase.padEnd(8)}${s(median(times))}${s(Math.min(...times))}${s(Math.max(...times))}${exit}`);
}
