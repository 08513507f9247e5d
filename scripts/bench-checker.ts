// `npm run bench:checker [-- --runs N] [--impl solutions] [--phase N] [--watch]`: the
// grader's wall time and CPU time per phase and for all phases (median of N
// runs, default 5), as a learner experiences it: a fresh `node checker/start.mjs`
// process each time (what `npm run check` runs, without npm's own start-up). CPU time counts the
// grader and every process it started (servers, the client host, tsx's esbuild),
// from the kernel's account of finished children (Linux: /proc; elsewhere the
// CPU column says n/a). `--watch`: watch mode instead, from a save of server.ts to
// the result on screen, N saves a second apart (a learner reads between saves) per
// phase. A benchmark, not a test: it prints figures and asserts nothing.
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { PHASES } from '../checker/phases/index.ts';
import { resolveImplementation } from '../lib/implementation.ts';
import { REPO_ROOT } from '../lib/proto.ts';

const USAGE = 'usage: npm run bench:checker [-- --runs N] [--impl solutions|exercises|<folder>] [--phase N|all] [--watch]';

/** Watch mode waits this long after a result before the next save, as a learner reads it. */
const READ_PAUSE_MS = 1000;
/** No watch-mode measurement may take longer. */
const WATCH_LIMIT_MS = 120_000;

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
  const child = spawn(process.execPath, ['checker/start.mjs', '--phase', phase, '--impl', impl], {
    cwd: REPO_ROOT,
    stdio: 'ignore',
  });
  const exit = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const wallMs = performance.now() - started;
  const cpuAfter = childrenCpuSeconds();
  return { wallMs, cpuSeconds: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore, exit };
}

/**
 * Watch mode on a copy of `implDir` (inside the workbook, where its imports
 * resolve): the time from each save of server.ts (a comment appended) to the
 * line that ends a result, `saves` times after the first run.
 */
async function timeWatch(phase: string, implDir: string, saves: number): Promise<number[]> {
  const copy = mkdtempSync(path.join(REPO_ROOT, '.checker', 'bench-watch-'));
  for (const name of readdirSync(implDir).filter((file) => file.endsWith('.ts'))) {
    copyFileSync(path.join(implDir, name), path.join(copy, name));
  }
  const child = spawn(process.execPath, ['checker/start.mjs', '--watch', '--phase', phase, '--impl', copy], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const times: number[] = [];
  let savedAt: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const limit = setTimeout(
        () => reject(new Error(`watch mode gave ${times.length} of ${saves} results in ${WATCH_LIMIT_MS / 1000} s`)),
        WATCH_LIMIT_MS,
      );
      child.on('exit', (code) => reject(new Error(`watch mode stopped (exit code ${code})`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!/^Watching .* for saves/.test(line)) return; // the line that ends each result
        if (savedAt !== undefined) times.push(performance.now() - savedAt);
        if (times.length === saves) {
          clearTimeout(limit);
          resolve();
          return;
        }
        timer = setTimeout(() => {
          savedAt = performance.now();
          appendFileSync(path.join(copy, 'server.ts'), `// saved at ${Date.now()}\n`);
        }, READ_PAUSE_MS);
      });
    });
  } finally {
    clearTimeout(timer);
    child.kill('SIGINT');
    await new Promise((resolve) => (child.exitCode === null ? child.on('exit', resolve) : resolve(undefined)));
    rmSync(copy, { recursive: true, force: true });
  }
  return times;
}

async function main(): Promise<number> {
  let values: { runs: string; impl: string; phase?: string; watch: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        runs: { type: 'string', default: '5' },
        impl: { type: 'string', default: 'solutions' },
        phase: { type: 'string' },
        watch: { type: 'boolean', default: false },
      },
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
  const s = (ms: number, width: number) => `${(ms / 1000).toFixed(2)} s`.padEnd(width);
  if (values.watch) {
    if (values.phase === 'all') {
      console.error(`--watch measures one phase at a time: --phase 1 to ${PHASES.length}, or none for each\n${USAGE}`);
      return 2;
    }
    let implDir: string;
    try {
      implDir = resolveImplementation(values.impl).dir;
    } catch (error) {
      console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
      return 2;
    }
    console.log(`watch mode, --impl ${values.impl}: from a save of server.ts to the result, ${runs} saves a second apart`);
    console.log('phase   median        min      max');
    for (const phase of values.phase ? [values.phase] : PHASES.map((each) => String(each.number))) {
      const times = await timeWatch(phase, implDir, runs);
      console.log(`${phase.padEnd(8)}${s(median(times), 14)}${s(Math.min(...times), 9)}${s(Math.max(...times), 9)}`);
    }
    return 0;
  }
  const targets = values.phase ? [values.phase] : [...PHASES.map((phase) => String(phase.number)), 'all'];
  console.log(`grader time, --impl ${values.impl}, median of ${runs} runs (a first run makes the compiled files and is not counted)`);
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
    const cpu = cpus.length > 0 ? `${median(cpus).toFixed(2)} s` : 'n/a';
    console.log(`${phase.padEnd(8)}${s(median(walls), 14)}${s(Math.min(...walls), 9)}${s(Math.max(...walls), 9)}${cpu.padEnd(13)}${exit}`);
  }
  return 0;
}

process.exitCode = await main();
