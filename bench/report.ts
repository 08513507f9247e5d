// What the bench prints: a progress line while it runs, then the tables.
import pc from 'picocolors';
import type { BenchResults, RatioCell, ServerKey, UnaryOperation } from './results.ts';

export const SERVER_LABELS: Record<ServerKey, string> = {
  'grpc-reference': 'gRPC reference',
  'grpc-bare': 'gRPC bare',
  rest: 'REST/JSON',
};
const OPERATION_LABELS: Record<UnaryOperation, string> = { create: 'Create', get: 'Get' };

export interface Progress {
  /** Starts the next step. */
  next(what: string): void;
  /** What is happening within the step: shown on a terminal only. */
  detail(what: string): void;
  /** Clears the line (on a terminal) before the report is printed. */
  done(): void;
}

/**
 * One line rewritten in place on a terminal; plain lines, one per step, when
 * the output is a file or a pipe (a log should not fill with carriage returns).
 */
export function createProgress(totalSteps: number, out: NodeJS.WriteStream = process.stdout): Progress {
  const started = performance.now();
  let step = 0;
  const line = (what: string) => `[${step}/${totalSteps}] ${what}  (${((performance.now() - started) / 1000).toFixed(1)} s)`;
  // A line wider than the terminal would wrap, and \r would then rewrite only its last part.
  const rewrite = (what: string) => out.write(`\r\x1b[K${pc.dim(line(what).slice(0, Math.max(20, (out.columns || 80) - 1)))}`);
  return {
    next(what) {
      step += 1;
      if (out.isTTY) rewrite(what);
      else out.write(`${line(what)}\n`);
    },
    detail(what) {
      if (out.isTTY) rewrite(what);
    },
    done() {
      if (out.isTTY) out.write('\r\x1b[K');
    },
  };
}

type Align = 'left' | 'right';
type Column = { title: string; align: Align };

/** Columns padded to their widest cell; colour codes do not count toward width. */
function formatTable(columns: Column[], rows: string[][]): string[] {
  const visible = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = columns.map((column, index) => Math.max(visible(column.title), ...rows.map((row) => visible(row[index] ?? ''))));
  const pad = (text: string, index: number) => {
    const room = ' '.repeat(widths[index]! - visible(text));
    return columns[index]!.align === 'right' ? room + text : text + room;
  };
  const header = columns.map((column, index) => pc.bold(pad(column.title, index))).join('  ');
  return [header, ...rows.map((row) => row.map(pad).join('  ').trimEnd())];
}

const bytes = (n: number) => `${n.toLocaleString('en-US')} B`;
const perSecond = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const times = (ratio: number) => `${ratio.toFixed(2)}×`;
const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
const errorText = (errors: Record<string, number>) =>
  Object.entries(errors)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ') || '0';

export function formatReport(results: BenchResults): string {
  const { settings, sizes, unary, streaming, comparisons, machine } = results;
  const lines: string[] = [];
  const section = (title: string, note: string) => lines.push('', `${pc.bold(pc.cyan(title))} ${pc.dim(note)}`);

  lines.push(
    pc.bold(`TaskManager bench: gRPC vs REST/JSON`) +
      pc.dim(
        `  (${results.mode} run, Node ${machine.node}, ${machine.cpus} CPUs shared by the client and the servers` +
          (machine.otherProgramsCpuPercent === null
            ? ')'
            : `; other programs used ${Math.round(machine.otherProgramsCpuPercent)}% of them)`),
      ),
  );

  section('Encoded size', '(message bodies only; headers and framing not counted)');
  lines.push(
    ...formatTable(
      [
        { title: 'what', align: 'left' },
        { title: 'protobuf', align: 'right' },
        { title: 'JSON', align: 'right' },
        { title: 'JSON ÷ protobuf', align: 'right' },
      ],
      [sizes.oneTask, sizes.hundredTasks].map((size) => [
        size.what,
        bytes(size.protobufBytes),
        bytes(size.jsonBytes),
        times(size.jsonToProtobufRatio),
      ]),
    ),
  );

  section(
    'Unary calls',
    `(closed loop: N callers each send the next request when the answer arrives; only OK answers counted; ` +
      `req/s is the median of ${settings.unarySlicesPerCell} slices of ${settings.unarySliceMs / 1000} s, the servers taking turns)`,
  );
  lines.push(
    ...formatTable(
      [
        { title: 'call', align: 'left' },
        { title: 'callers', align: 'right' },
        { title: 'server', align: 'left' },
        { title: 'req/s', align: 'right' },
        { title: 'p50 ms', align: 'right' },
        { title: 'p99 ms', align: 'right' },
        { title: 'client CPU', align: 'right' },
        { title: 'server CPU', align: 'right' },
        { title: 'server µs/call', align: 'right' },
        { title: 'errors', align: 'left' },
      ],
      unary.map((cell, index) => {
        const firstOfGroup =
          index === 0 || unary[index - 1]!.concurrency !== cell.concurrency || unary[index - 1]!.operation !== cell.operation;
        const errors = errorText(cell.errors);
        return [
          firstOfGroup ? OPERATION_LABELS[cell.operation] : '',
          firstOfGroup ? String(cell.concurrency) : '',
          SERVER_LABELS[cell.server],
          perSecond(cell.throughputPerSec),
          ms(cell.latencyMs.p50),
          ms(cell.latencyMs.p99),
          `${Math.round(cell.cpu.clientPercent)}%`,
          cell.cpu.serverPercent === null ? '–' : `${Math.round(cell.cpu.serverPercent)}%`,
          cell.cpu.serverMicrosPerCall === null ? '–' : Math.round(cell.cpu.serverMicrosPerCall).toLocaleString('en-US'),
          errors === '0' ? pc.dim(errors) : pc.red(errors),
        ];
      }),
    ),
  );

  section('Ratios', '(one column per call and number of callers)');
  const ratioCells = comparisons.referenceOverBare.cells;
  const ratioColumns: Column[] = [
    { title: '', align: 'left' },
    ...ratioCells.map((cell) => ({ title: `${OPERATION_LABELS[cell.operation]} ${cell.concurrency}`, align: 'right' as Align })),
  ];
  const goal = comparisons.referenceOverBare;
  const againstGoal = (cell: RatioCell) => (cell.ratio >= goal.goal ? pc.green(percent(cell.ratio)) : pc.yellow(percent(cell.ratio)));
  lines.push(
    ...formatTable(ratioColumns, [
      ['throughput, gRPC reference ÷ REST/JSON', ...comparisons.grpcReferenceOverRest.map((cell) => times(cell.ratio))],
      ['throughput, gRPC reference ÷ gRPC bare', ...ratioCells.map(againstGoal)],
      ...(goal.serverCpuPerCall
        ? [['server CPU per call, reference ÷ bare', ...goal.serverCpuPerCall.cells.map((cell) => times(cell.ratio))]]
        : []),
    ]),
  );
  const verdict = goal.met ? pc.green('goal met') : pc.yellow('goal not met');
  lines.push(
    `Reference server vs bare grpc-js baseline (issue 6, item 3, goal ≥ ${percent(goal.goal)}): ` +
      `${pc.bold(percent(goal.geometricMean))} of the baseline's throughput (geometric mean of the ${ratioCells.length} cells above): ${verdict}`,
  );
  if (goal.serverCpuPerCall) {
    lines.push(
      pc.dim(
        `The reference server spends ${times(goal.serverCpuPerCall.geometricMean)} the baseline's CPU time per call (geometric mean). ` +
          `Throughput hides part of that difference when the client, not the server, is the busier process (compare the CPU columns).`,
      ),
    );
  }

  section('Streaming', '(time from sending Create to each watcher receiving its CREATED event)');
  lines.push(
    ...formatTable(
      [
        { title: 'watchers', align: 'right' },
        { title: 'server', align: 'left' },
        { title: 'p50 ms', align: 'right' },
        { title: 'p99 ms', align: 'right' },
        { title: 'creates', align: 'right' },
        { title: 'samples', align: 'right' },
        { title: 'lost', align: 'right' },
        { title: 'errors', align: 'left' },
      ],
      streaming.map((cell, index) => [
        index === 0 || streaming[index - 1]!.watchers !== cell.watchers ? cell.watchers.toLocaleString('en-US') : '',
        cell.server === 'rest' ? 'REST/JSON (SSE)' : 'gRPC reference (WatchTasks)',
        ms(cell.latencyMs.p50),
        ms(cell.latencyMs.p99),
        String(cell.rounds),
        cell.samples.toLocaleString('en-US'),
        cell.lost === 0 ? pc.dim('0') : pc.red(String(cell.lost)),
        errorText(cell.errors) === '0' ? pc.dim('0') : pc.red(errorText(cell.errors)),
      ]),
    ),
  );
  return lines.join('\n');
}
