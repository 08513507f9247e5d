// The registry of phases, in the order a learner works through them: one line
// per phase. A phase is a folder (README.md, "Adding a phase").
import type { Phase } from '../harness/phase.ts';

export const PHASES: readonly Phase[] = [
  (await import('./1-proto/index.ts')).phase,
  (await import('./2-unary/index.ts')).phase,
  (await import('./3-streaming/index.ts')).phase,
  (await import('./4-interceptors/index.ts')).phase,
  (await import('./5-auth/index.ts')).phase,
  (await import('./6-streams/index.ts')).phase,
];
