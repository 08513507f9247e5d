// A learner's file reads the same whether the editor saved it with Windows line
// endings (CRLF) or Unix ones (LF), with or without a UTF-8 byte-order mark
// (older Notepad and PowerShell 5 write one). Everything that compares a
// learner's text (reset against checker/pristine/, the diff with solutions/)
// reads it through here. Running and grading the code needs nothing: Node, tsx
// and protobufjs accept both, and the type generator drops the CRs of the proto
// comments it copies (test/line-endings.test.ts runs all of it on CRLF copies).
import { readFileSync } from 'node:fs';

/** `text` with every CRLF turned into LF and without a leading byte-order mark. */
export function comparableText(text: string | Buffer): string {
  const string = typeof text === 'string' ? text : text.toString('utf8');
  return (string.charCodeAt(0) === 0xfeff ? string.slice(1) : string).replaceAll('\r\n', '\n');
}

/** A UTF-8 text file as comparableText gives it. */
export function readComparableText(file: string): string {
  return comparableText(readFileSync(file, 'utf8'));
}
