// `npm run bench:checker [-- --runs N] [--impl solutions] [--phase N]`: the
// grader's wall time and CPU time per phase and for all phases (median of N
// runs, default 5), as a learner experiences it: a fresh
// `node --import tsx/esm checker/main.ts` process each time. CPU time counts the
// grader and every process it started (servers, the client host, tsx's esbuild),
// from the kernel's account of finished children (Linux: /proc; elsewhere the
// CPU column says n/a). A benchmark, not a test: it prints figures and asserts nothing.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PHASES } from '../checker/phases/index.ts';
import { REPO_ROOT } from '../lib/proto.ts';

const USAGE = 'usage: npm run bench:checker [-- --runs N] [--impl solutions|exercises|<folder>] [--phase N|all]';

/** CPU seconds used by this process's finished children and their own finished children, or undefined off Linux. */
function childrenCpuSeconds(): number | undefined {
  try {
    // /proc/self/stat: after "(comm)", fields 14 and 15 of the line are cutime and cstime, in clock ticks (100 per second).
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One grader run: its wall time, the CPU time of its whole process tree, and its exit code. */
async function timeRun(phase: string, impl: string): Promise<{ wallMs: number; cpuSeconds: number | undefined; exit: number | null }> {
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx/esm', 'checker/main.ts', '--phase', phase, '--impl', impl], {
    cwd: REPO_ROOT,
    stdio: 'ignore',
  });
  const exit = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const wallMs = performance.now() - started;
  const cpuAfter = childrenCpuSeconds();
  return { wallMs, cpuSeconds: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore, exit };
}

async function main(): Promise<number> {
  let values: { runs: string; impl: string; phase?: string };
  try {
    ({ values } = parseArgs({
      options: { runs: { type: 'string', default: '5' }, impl: { type: 'string', default: 'solutions' }, phase: { type: 'string' } },
    }) as { values: typeof values });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`--runs must be a whole number of at least 1, got "${values.runs}"\n${USAGE}`);
    return 2;
  }
  const targets = values.phase ? [values.phase] : [...PHASES.map((phase) => String(phase.number)), 'all'];
  console.log(`grader time, --impl ${values.impl}, median of ${runs} runs (a first run warms tsx's cache and is not counted)`);
  console.log('phase   wall median   min      max      CPU median   exit');
  for (const phase of targets) {
    const walls: number[] = [];
    const cpus: number[] = [];
    let exit: number | null = null;
    for (let i = 0; i <= runs; i++) {
      const run = await timeRun(phase, values.impl);
      exit = run.exit;
      if (i === 0) continue;
      walls.push(run.wallMs);
      if (run.cpuSeconds !== undefined) cpus.push(run.cpuSeconds);
    }
    const s = (ms: number, width: number) => `${(ms / 1000).toFixed(2)} s`.padEnd(width);
    const cpu = cpus.length > 0 ? `${median(cpus).toFixed(2)} s` : 'n/a';
    console.log(`${phase.padEnd(8)}${s(median(walls), 14)}${s(Math.min(...walls), 9)}${s(Math.max(...walls), 9)}${cpu.padEnd(13)}${exit}`);
  }
  return 0;
}

process.exitCode = await main();
