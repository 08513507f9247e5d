// The one way a check that did not pass is described: a list of labelled rows.
// The terminal, the hints and the JSON results all lay out these same rows.
import { grpcurlCommand } from '../harness/explain.ts';
import type { CheckResult } from '../harness/phase.ts';

export type Tone = 'expected' | 'received' | 'why' | 'plain' | 'dim';

export interface Row {
  label: string;
  text: string;
  tone: Tone;
}

/**
 * What went wrong with `result`, where to edit (`displayFile` shows a file as
 * the learner sees it), and the hint. Empty for a check that passed.
 */
export function failureRows(result: CheckResult, displayFile: (file: string) => string): Row[] {
  const rows: Row[] = [];
  const add = (label: string, text: string | undefined, tone: Tone = 'plain') => {
    if (text) rows.push({ label, text, tone });
  };
  if (result.status === 'not-run') add('Not run', result.reason, 'why');
  if (result.status === 'error' && result.error) {
    add('Could not run', result.error.summary, 'received');
    add('Output', result.error.outputLines.join('\n'), 'dim');
    add('Hint', result.error.hint);
  }
  const failure = result.failure;
  if (failure) {
    if (failure.sent) add('Sent', `${failure.sent.method} ${JSON.stringify(failure.sent.request)}`);
    add('Expected', failure.expected, 'expected');
    add('Received', failure.received, 'received');
    add('Why', failure.explanation, 'why');
    add('Hint', failure.hint);
    if (failure.sent) add('Try it', grpcurlCommand(failure.sent.method, failure.sent.request), 'dim');
  }
  if (result.status !== 'pass') add('Edit', displayFile(result.file));
  return rows;
}

/** Rows as plain text, "Label: text" per row (the JSON results' message). */
export function rowsAsText(rows: Row[]): string {
  return rows.map((row) => `${row.label}: ${row.text}`).join('\n');
}
