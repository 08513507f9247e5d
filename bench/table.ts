// Tables as data, so that the terminal report and the HTML page show the same
// rows from one definition; and their rendering for a terminal.
import pc from 'picocolors';

/** good: meets what it is compared with; bad: an error, a loss; dim: a zero or a repeat. */
export type Tone = 'good' | 'bad' | 'dim' | 'strong';
export type Cell = string | { text: string; tone: Tone };
export interface Column {
  title: string;
  align: 'left' | 'right';
}
export interface Table {
  columns: Column[];
  rows: Cell[][];
}

export const cellText = (cell: Cell | undefined): string => (cell === undefined ? '' : typeof cell === 'string' ? cell : cell.text);
export const cellTone = (cell: Cell | undefined): Tone | undefined =>
  cell === undefined || typeof cell === 'string' ? undefined : cell.tone;

const TERMINAL_TONES: Record<Tone, (text: string) => string> = { good: pc.green, bad: pc.red, dim: pc.dim, strong: pc.bold };

/** A cell (or a line) with its colour, for a terminal. */
export const cellForTerminal = (cell: Cell, text = cellText(cell)): string => {
  const tone = cellTone(cell);
  return tone ? TERMINAL_TONES[tone](text) : text;
};

/** Columns padded to their widest cell; colours do not count toward the width. */
export function renderTableForTerminal({ columns, rows }: Table): string[] {
  const widths = columns.map((column, index) => Math.max(column.title.length, ...rows.map((row) => cellText(row[index]).length)));
  const pad = (text: string, index: number) => {
    const room = ' '.repeat(Math.max(0, widths[index]! - text.length));
    return columns[index]!.align === 'right' ? room + text : text + room;
  };
  const header = columns.map((column, index) => pc.bold(pad(column.title, index))).join('  ');
  const body = rows.map((row) =>
    columns
      .map((_, index) => cellForTerminal(row[index] ?? '', pad(cellText(row[index]), index)))
      .join('  ')
      .trimEnd(),
  );
  return [header, ...body];
}

// Number formats shared by the terminal and the HTML page.
export const count = (n: number) => Math.round(n).toLocaleString('en-US');
export const bytes = (n: number) => `${count(n)} B`;
export const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
export const micros = (n: number | null) => (n === null ? '–' : n >= 100 ? count(n) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
export const times = (ratio: number) => `${ratio.toFixed(2)}×`;
export const percentOfCore = (n: number | null) => (n === null ? '–' : `${Math.round(n)}%`);
export const errorText = (errors: Record<string, number>): Cell => {
  const text = Object.entries(errors)
    .map(([kind, n]) => `${count(n)} ${kind}`)
    .join(', ');
  return text === '' ? { text: '0', tone: 'dim' } : { text, tone: 'bad' };
};
