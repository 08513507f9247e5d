// A small unified line diff (Myers' O(ND) algorithm), for `npm run solution -- --diff`
// and `npm run reset`. Lines keep their "\n", so a missing newline at the end of
// a file is a difference too, shown as "\ No newline at end of file" like diff -u.
import { createColors } from 'picocolors';

export type DiffOp = { kind: ' ' | '-' | '+'; line: string };

export interface Hunk {
  /** 1-based first line in the old text (the line before the hunk when oldLines is 0, as in diff -u). */
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  ops: DiffOp[];
}

/** Past this many differing lines the middle is shown as replaced whole (correct, not minimal), bounding time and memory. */
const MAX_EDIT_DISTANCE = 2000;

/** The lines of a text, each with its "\n" (the last one without, when the text does not end with one). */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/(?<=\n)/);
  return lines;
}

/** The edit script turning `a` into `b`: every line of both, in order, marked kept, removed or added. */
export function diffLines(a: readonly string[], b: readonly string[]): DiffOp[] {
  // Common head and tail first: a learner's edit usually touches a few lines in the middle.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail += 1;
  const middle = myers(a.slice(head, a.length - tail), b.slice(head, b.length - tail));
  return [
    ...a.slice(0, head).map((line) => ({ kind: ' ' as const, line })),
    ...middle,
    ...a.slice(a.length - tail).map((line) => ({ kind: ' ' as const, line })),
  ];
}

/** Myers' greedy shortest edit script, keeping each step's frontier to walk back. */
function myers(a: readonly string[], b: readonly string[]): DiffOp[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  if (max === 0) return [];
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= Math.min(max, MAX_EDIT_DISTANCE) && !found; d += 1) {
    trace.push(v.slice(offset - d - 1, offset + d + 2)); // the frontier before step d, for k in [-d-1, d+1]
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x += 1;
        y += 1;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  if (!found) return [...a.map((line) => ({ kind: '-' as const, line })), ...b.map((line) => ({ kind: '+' as const, line }))];

  // Walk back from (n, m): at step d, the previous point came from diagonal k-1 (a removal) or k+1 (an addition).
  const ops: DiffOp[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d -= 1) {
    const before = trace[d]!; // index i holds diagonal i - d - 1
    const at = (k: number) => before[k + d + 1]!;
    const k = x - y;
    const previousK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const previousX = at(previousK);
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      x -= 1;
      y -= 1;
      ops.push({ kind: ' ', line: a[x]! });
    }
    if (previousK === k + 1) {
      y -= 1;
      ops.push({ kind: '+', line: b[y]! });
    } else {
      x -= 1;
      ops.push({ kind: '-', line: a[x]! });
    }
  }
  while (x > 0 && y > 0) {
    x -= 1;
    y -= 1;
    ops.push({ kind: ' ', line: a[x]! });
  }
  return ops.reverse();
}

/** The changes grouped into hunks with `context` unchanged lines around each, as diff -u does. */
export function hunks(ops: readonly DiffOp[], context = 3): Hunk[] {
  const changed = ops.flatMap((op, index) => (op.kind === ' ' ? [] : [index]));
  const result: Hunk[] = [];
  let i = 0;
  while (i < changed.length) {
    let last = changed[i]!;
    let j = i + 1;
    // Changes closer than two contexts apart share a hunk.
    while (j < changed.length && changed[j]! - last <= 2 * context + 1) {
      last = changed[j]!;
      j += 1;
    }
    const start = Math.max(0, changed[i]! - context);
    const end = Math.min(ops.length, last + context + 1);
    const oldBefore = ops.slice(0, start).filter((op) => op.kind !== '+').length;
    const newBefore = ops.slice(0, start).filter((op) => op.kind !== '-').length;
    const slice = ops.slice(start, end);
    const oldLines = slice.filter((op) => op.kind !== '+').length;
    const newLines = slice.filter((op) => op.kind !== '-').length;
    result.push({
      oldStart: oldLines === 0 ? oldBefore : oldBefore + 1,
      oldLines,
      newStart: newLines === 0 ? newBefore : newBefore + 1,
      newLines,
      ops: slice,
    });
    i = j;
  }
  return result;
}

/** How many lines a change removes and adds. */
export function countChanges(ops: readonly DiffOp[]): { removed: number; added: number } {
  return { removed: ops.filter((op) => op.kind === '-').length, added: ops.filter((op) => op.kind === '+').length };
}

/** A unified diff of two texts (empty when they are equal), coloured when `colors` is true. */
export function unifiedDiff(
  oldText: string,
  newText: string,
  { oldName, newName, colors = false, context = 3 }: { oldName: string; newName: string; colors?: boolean; context?: number },
): string {
  if (oldText === newText) return '';
  const c = createColors(colors);
  const lines = [c.bold(`--- ${oldName}`), c.bold(`+++ ${newName}`)];
  for (const hunk of hunks(diffLines(splitLines(oldText), splitLines(newText)), context)) {
    lines.push(c.cyan(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`));
    for (const { kind, line } of hunk.ops) {
      const text = `${kind}${line.endsWith('\n') ? line.slice(0, -1) : line}`;
      lines.push(kind === '-' ? c.red(text) : kind === '+' ? c.green(text) : text);
      if (!line.endsWith('\n')) lines.push(c.dim('\\ No newline at end of file'));
    }
  }
  return `${lines.join('\n')}\n`;
}
