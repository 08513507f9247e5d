// CPU time used during a measurement: by a server, by the load (a load thread,
// an h2load run) and by the whole machine. Throughput alone cannot say which
// side was the limit, or whether other programs took CPU away; CPU time can.
// It is read from /proc, so it is known on Linux only; elsewhere it is null and
// the report says so.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Clock ticks per second, the unit of /proc times (100 on nearly every Linux). */
const TICKS_PER_SECOND = (() => {
  if (process.platform !== 'linux') return 100;
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
const ticksToMs = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;

/** Fields 14–17 of a /proc stat line (utime, stime, cutime, cstime), in ms; undefined where unreadable. */
function statTimes(file: string): { ownMs: number; reapedChildrenMs: number } | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    // The command name (field 2) may contain spaces; the fields after its ')' are fixed.
    const fields = readFileSync(file, 'utf8').split(') ')[1]!.split(' ').map(Number);
    const [utime, stime, cutime, cstime] = fields.slice(11, 15);
    if (![utime, stime, cutime, cstime].every(Number.isFinite)) return undefined;
    return { ownMs: ticksToMs(utime! + stime!), reapedChildrenMs: ticksToMs(cutime! + cstime!) };
  } catch {
    return undefined;
  }
}

/** User + system CPU milliseconds of process `pid` so far (all its threads), or undefined if unknown. */
export function processCpuMs(pid: number | undefined): number | undefined {
  return pid === undefined ? undefined : statTimes(`/proc/${pid}/stat`)?.ownMs;
}

/** CPU milliseconds of the calling thread alone (a load thread measures itself), or undefined if unknown. */
export function threadCpuMs(): number | undefined {
  return statTimes('/proc/thread-self/stat')?.ownMs;
}

/**
 * CPU milliseconds of this process's children that have exited (e.g. an h2load
 * run, read after it ended), or undefined if unknown.
 */
export function exitedChildrenCpuMs(): number | undefined {
  return statTimes('/proc/self/stat')?.reapedChildrenMs;
}

/**
 * CPU milliseconds the machine has been busy so far (all cores, idle excluded),
 * or undefined. Interrupt time counts where `withInterrupts`: the bench's own
 * loopback traffic is handled there, charged to no process. It belongs in "how
 * full was the machine", not in "what did other programs use".
 */
export function machineBusyCpuMs({ withInterrupts }: { withInterrupts: boolean }): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const [, ...counters] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = counters.map(Number);
    const counted = withInterrupts ? [user, nice, system, irq, softirq, steal] : [user, nice, system, steal];
    return ticksToMs(counted.reduce<number>((sum, value) => sum + (value ?? 0), 0));
  } catch {
    return undefined;
  }
}

/** CPU milliseconds of this whole process so far (every thread). */
export const ownProcessCpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

export interface CpuSample {
  wallMs: number;
  /** CPU time of the server process; null where /proc is not available. */
  serverMs: number | null;
  /** CPU time of every process on the machine, all cores together; null where /proc is not available. */
  machineMs: number | null;
}

/** Starts counting; `stop()` returns the CPU used since by the server `serverPid` and by the whole machine. */
export function startCpuMeter(serverPid: number | undefined): { stop(): CpuSample } {
  const wallStart = performance.now();
  const serverStart = processCpuMs(serverPid);
  const machineStart = machineBusyCpuMs({ withInterrupts: true });
  const since = (start: number | undefined, end: number | undefined) => (start === undefined || end === undefined ? null : end - start);
  return {
    stop() {
      return {
        wallMs: performance.now() - wallStart,
        serverMs: since(serverStart, processCpuMs(serverPid)),
        machineMs: since(machineStart, machineBusyCpuMs({ withInterrupts: true })),
      };
    },
  };
}

/**
 * Over a whole run: how much of the machine's CPU capacity went to programs
 * other than the bench, its load generators and its servers (a test suite, a
 * build, a browser). null where /proc is not available.
 */
export function startOthersMeter(ownPids: () => Array<number | undefined>): { stop(): number | null } {
  const wallStart = performance.now();
  const machineStart = machineBusyCpuMs({ withInterrupts: false });
  const ownStart = ownCpuMs(ownPids());
  return {
    stop() {
      const machineEnd = machineBusyCpuMs({ withInterrupts: false });
      const ownEnd = ownCpuMs(ownPids());
      if (machineStart === undefined || machineEnd === undefined || ownStart === undefined || ownEnd === undefined) return null;
      const capacityMs = (performance.now() - wallStart) * os.cpus().length;
      const othersMs = machineEnd - machineStart - (ownEnd - ownStart);
      return Math.max(0, (othersMs / capacityMs) * 100);
    },
  };
}

/** This process (its load threads included), its exited children (h2load runs) and the servers. */
function ownCpuMs(serverPids: Array<number | undefined>): number | undefined {
  let total = ownProcessCpuMs() + (exitedChildrenCpuMs() ?? 0);
  for (const pid of serverPids) {
    const ms = processCpuMs(pid);
    if (ms === undefined) return undefined;
    total += ms;
  }
  return total;
}
