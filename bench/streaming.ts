// Event delivery: the time from sending a Create to each of many watchers
// receiving its CREATED event, over gRPC WatchTasks and over SSE. Bounded in
// time and in count, so it always stops.
import type { TaskEvent } from '../lib/proto.ts';
import type { LatencySummary } from './results.ts';
import { summarizeLatencies } from './stats.ts';
import type { BenchTarget, Watcher } from './targets.ts';

export interface FanOutResult {
  rounds: number;
  samples: number;
  lost: number;
  errors: Record<string, number>;
  latencyMs: LatencySummary;
}

export interface FanOutPlan {
  watchers: number;
  maxRounds: number;
  maxDurationMs: number;
  /** How long one round may wait for its event to reach every watcher. */
  roundTimeoutMs: number;
}

/** Watchers are opened in batches, so a thousand connections do not overflow the server's accept queue. */
const OPEN_BATCH_SIZE = 100;

/** Time for the server to forget closed watchers before the next measurement. */
const SETTLE_AFTER_CLOSE_MS = 200;

/**
 * Opens `watchers` feeds, checks with one warm-up Create that every one of them
 * hears events, then sends Creates one at a time and records, for each watcher,
 * the time from sending the Create to that watcher receiving its CREATED event.
 */
export async function runFanOut(target: BenchTarget, plan: FanOutPlan): Promise<FanOutResult> {
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const countError = (kind: string) => (errors[kind] = (errors[kind] ?? 0) + 1);

  // The round in progress: which title to listen for, when it was sent, who has heard it.
  let round: { title: string; sentAt: number; heard: number; record: boolean; allHeard: () => void } | undefined;
  const onEvent = (event: TaskEvent) => {
    if (!round || event.event_type !== 'TASK_EVENT_TYPE_CREATED' || event.task?.title !== round.title) return;
    if (round.record) latencies.push(performance.now() - round.sentAt);
    round.heard += 1;
    if (round.heard === plan.watchers) round.allHeard();
  };

  const opened: Watcher[] = [];
  let lost = 0;
  let rounds = 0;
  try {
    for (let first = 0; first < plan.watchers; first += OPEN_BATCH_SIZE) {
      const batch = Array.from({ length: Math.min(OPEN_BATCH_SIZE, plan.watchers - first) }, () =>
        target.watch({ onEvent, onError: countError }),
      );
      opened.push(...batch);
      await withinTime(Promise.all(batch.map((watcher) => watcher.ready)), plan.roundTimeoutMs);
    }

    /** One Create; resolves with how many watchers heard it in time. */
    const sendRound = async (title: string, record: boolean): Promise<number> => {
      let allHeard = () => {};
      const everyoneHeard = new Promise<void>((resolve) => (allHeard = resolve));
      const current = { title, sentAt: performance.now(), heard: 0, record, allHeard };
      round = current;
      const created = await target.create({ title, description: 'fan-out probe', tags: ['bench'] });
      if (!created.ok) countError(`Create: ${created.error}`);
      else await withinTime(everyoneHeard, plan.roundTimeoutMs);
      round = undefined;
      return current.heard;
    };

    // Warm-up: proves every watcher is subscribed (a gRPC client cannot otherwise tell).
    const warmedUp = await sendRound('fan-out warm-up', false);
    if (warmedUp < plan.watchers) countError(`only ${warmedUp} of ${plan.watchers} watchers subscribed`);

    const stopAt = performance.now() + plan.maxDurationMs;
    while (rounds < plan.maxRounds && performance.now() < stopAt) {
      rounds += 1;
      lost += plan.watchers - (await sendRound(`fan-out round ${rounds}`, true));
    }
  } finally {
    for (const watcher of opened) watcher.close();
    await sleep(SETTLE_AFTER_CLOSE_MS);
  }
  return { rounds, samples: latencies.length, lost, errors, latencyMs: summarizeLatencies(latencies) };
}

/** Waits for `promise` at most `ms`; the caller finds out from its own state whether it finished. */
function withinTime(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise.then(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
