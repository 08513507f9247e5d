// CPU time used during a measurement: by this (client) process, by a server
// child, and by the whole machine. Throughput alone cannot say which side was
// the limit, or whether other programs took CPU away; CPU time can.
// Other processes' CPU time is read from /proc, so it is known on Linux only.
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

/** User + system CPU milliseconds of process `pid` so far (all its threads), or undefined if unknown. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  try {
    // The command name (field 2) may contain spaces; the fields after its ')' are fixed.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime and stime, fields 14 and 15 of the line
    return Number.isFinite(ticks) ? ticksToMs(ticks) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU milliseconds spent by every process on the machine so far (all cores, idle excluded), or undefined. */
export function machineBusyCpuMs(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const [, ...counters] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal. Interrupt time is left out: the
    // bench's own loopback traffic is handled there and charged to no process.
    const [user, nice, system, , , , , steal] = counters.map(Number);
    const busy = [user, nice, system, steal].reduce<number>((sum, value) => sum + (value ?? 0), 0);
    return ticksToMs(busy);
  } catch {
    return undefined;
  }
}

export const clientCpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

export interface CpuSample {
  wallMs: number;
  clientMs: number;
  /** null where /proc is not available. */
  serverMs: number | null;
}

/** Starts counting; `stop()` returns the CPU used since, by this process and by `serverPid`. */
export function startCpuMeter(serverPid: number | undefined): { stop(): CpuSample } {
  const wallStart = performance.now();
  const clientStart = clientCpuMs();
  const serverStart = processCpuMs(serverPid);
  return {
    stop() {
      const serverEnd = processCpuMs(serverPid);
      return {
        wallMs: performance.now() - wallStart,
        clientMs: clientCpuMs() - clientStart,
        serverMs: serverStart === undefined || serverEnd === undefined ? null : serverEnd - serverStart,
      };
    },
  };
}

/**
 * Over a whole run: how much of the machine's CPU capacity went to programs
 * other than the bench and its servers (a test suite, a build, a browser).
 * null where /proc is not available.
 */
export function startOthersMeter(ownPids: () => Array<number | undefined>): { stop(): number | null } {
  const wallStart = performance.now();
  const machineStart = machineBusyCpuMs();
  const ownStart = ownCpuMs(ownPids());
  return {
    stop() {
      const machineEnd = machineBusyCpuMs();
      const ownEnd = ownCpuMs(ownPids());
      if (machineStart === undefined || machineEnd === undefined || ownStart === undefined || ownEnd === undefined) return null;
      const capacityMs = (performance.now() - wallStart) * os.cpus().length;
      const othersMs = machineEnd - machineStart - (ownEnd - ownStart);
      return Math.max(0, (othersMs / capacityMs) * 100);
    },
  };
}

function ownCpuMs(serverPids: Array<number | undefined>): number | undefined {
  let total = clientCpuMs();
  for (const pid of serverPids) {
    const ms = processCpuMs(pid);
    if (ms === undefined) return undefined;
    total += ms;
  }
  return total;
}
