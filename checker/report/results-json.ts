// `npm run check -- --json`: Exercism's test-runner results.json, version 3
// (https://exercism.org/docs/building/tooling/test-runners/interface). The phase
// is the task_id; `output` is what the learner's own code printed during the
// check, at most 500 characters as the format asks (the whole transcript is what
// --verbose shows).
import type { PhaseResult } from '../harness/phase.ts';
import { failureRows, rowsAsText } from './render.ts';

export const MAX_OUTPUT_CHARS = 500;
const TRUNCATED = '\n… (output truncated at 500 characters: run with --verbose to see it all)';

/** The learner's output of one check, within the format's limit. */
export function limitOutput(lines: string[]): string | null {
  if (lines.length === 0) return null;
  const text = lines.join('\n');
  return text.length <= MAX_OUTPUT_CHARS ? text : `${text.slice(0, MAX_OUTPUT_CHARS - TRUNCATED.length)}${TRUNCATED}`;
}

export function toExercismResults(results: PhaseResult[], exitCode: number, displayFile: (file: string) => string) {
  const checks = results.flatMap((result) => result.checks);
  const error = checks.find((check) => check.status === 'error')?.error;
  return {
    version: 3,
    status: exitCode === 0 ? 'pass' : exitCode === 2 ? 'error' : 'fail',
    ...(error ? { message: [error.summary, ...error.outputLines, `Hint: ${error.hint}`].join('\n') } : {}),
    tests: checks.map((check) => ({
      name: `Phase ${check.phase}: ${check.name}`,
      test_code: check.proves,
      status: check.status === 'pass' ? 'pass' : check.status === 'fail' ? 'fail' : 'error',
      message: check.status === 'pass' ? null : rowsAsText(failureRows(check, displayFile)),
      output: limitOutput(check.learnerOutput),
      task_id: check.phase,
    })),
  };
}
