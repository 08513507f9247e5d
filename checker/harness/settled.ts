// Reading what a scenario reported about a call into the learner's code (a
// Settled): in words for a failure message, and as a value a check can use.
import { statusName } from '../../lib/client-runtime.ts';
import { todoMessage } from '../../lib/protocol.ts';
import { CheckFailure } from './failures.ts';
import type { ScenarioRun } from './harness.ts';
import type { HostMessage, Settled } from './host-protocol.ts';

/** After a function's name: "returned {…}", "failed with NOT_FOUND: no task…", "threw TypeError: …", "is still a TODO(human): see …". */
export function describeSettled(settled: Settled, verb = 'returned'): string {
  switch (settled.kind) {
    case 'value':
      return `${verb} ${short(settled.value)}`;
    case 'todo': {
      const todo = todoMessage.parse(settled.message);
      return todo ? `is still a TODO(human): see PHASES.md, ${todo.step}` : settled.message;
    }
    case 'timeout':
      return `did not settle within ${settled.ms / 1000} s (a Promise that never resolves or rejects?)`;
    case 'error': {
      const { error } = settled;
      if (error.serviceError) return `failed with ${statusName(error.code!)}: ${error.details}`;
      return `threw ${error.name}: ${error.message}`;
    }
  }
}

/** The explanation that goes with an outcome that is not a value, if it has a common cause (a TODO says it all already). */
export function explainSettled(settled: Settled): string | undefined {
  if (settled.kind === 'error' && /is not a function/.test(settled.error.message)) {
    return 'a function the grader calls is missing: keep the exported names and parameters of the skeleton';
  }
  return undefined;
}

/**
 * The report `label` of `run`, or a CheckFailure saying why there is none: the
 * learner's code (in `file`) crashed the host (its output is in the
 * transcript), the scenario could not run, or nothing came within `ms`.
 */
export async function reportOf(run: ScenarioRun, label: string, ms: number, expected: string, file = 'client.ts'): Promise<Settled> {
  const message = await run.waitFor((m) => ('label' in m && m.label === label) || m.type === 'failed', ms);
  if (message?.type === 'report') return message.value as Settled;
  throw new CheckFailure({
    expected,
    received: noReport(message, run),
    file,
  });
}

function noReport(message: HostMessage | undefined, run: ScenarioRun): string {
  if (message?.type === 'failed') return `the grader could not run your code: ${message.message.split('\n')[0]}`;
  if (run.crashed()) return `your client code crashed the process that ran it (${run.crashed()}): see its output below`;
  return 'no answer from your client code in time';
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
