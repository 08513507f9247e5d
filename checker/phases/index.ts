// The registry of phases, in the order a learner works through them.
import type { Phase } from '../types.ts';
import { phase1 } from './phase1-proto.ts';
import { phase2 } from './phase2-crud.ts';
import { phase3 } from './phase3-streaming.ts';
import { phase4 } from './phase4-interceptors.ts';
import { phase5 } from './phase5-bonus.ts';

export const PHASES: readonly Phase[] = [phase1, phase2, phase3, phase4, phase5];
