// What the bench shows, as data: a header, then sections, each a table with a
// note. The terminal (formatReport, here) and the HTML page (bench/html.ts)
// render the same sections, so they always agree.
import pc from 'picocolors';
import type { BenchResults, ServerKey, SlowLinkClient, UnaryCell, UnaryOperation } from './results.ts';
import { SERVER_LABELS } from './servers.ts';
import {
  bytes,
  type Cell,
  cellForTerminal,
  count,
  errorText,
  micros,
  ms,
  percentOfCore,
  renderTableForTerminal,
  type Table,
  times,
} from './table.ts';

export const OPERATION_LABELS: Record<UnaryOperation, string> = { create: 'Create', get: 'Get' };
export const SERVER_ORDER: ServerKey[] = ['grpc-reference', 'grpc-bare', 'rest'];

export const SLOW_LINK_CLIENT_LABELS: Record<SlowLinkClient, string> = {
  grpc: 'gRPC, one connection',
  'rest-keep-alive': 'REST, keep-alive',
  'rest-new-connection': 'REST, new connection per request',
};

export type SectionId = 'cpu' | 'unary' | 'encoding' | 'slow-link' | 'streaming';

export interface Section {
  id: SectionId;
  title: string;
  note: string;
  table: Table;
  /** Lines after the table. */
  after: Cell[];
}

const seconds = (milliseconds: number) => `${(milliseconds / 1000).toFixed(milliseconds < 1000 ? 2 : 1)} s`;

/** The first lines: what ran, where, with which load, and whether the servers answered OK. */
export function reportHeader(results: BenchResults): { title: string; lines: Cell[] } {
  const { machine, load } = results;
  const others = machine.otherProgramsCpuPercent;
  const lines: Cell[] = [
    `${results.mode} run, Node ${machine.node} on ${machine.platform}/${machine.arch}, ${machine.cpus} CPUs (${machine.cpuModel}) ` +
      `shared by the load and the servers${others === null ? '' : `; other programs used ${Math.round(others)}% of them`}.`,
    `Load: ${load.choice}.`,
  ];
  const checks = load.checks.map((check) => `${SERVER_LABELS[check.server]} ${check.before} / ${check.after}`).join(', ');
  const allOk = load.checks.every((check) => check.before === 'OK' && check.after === 'OK');
  lines.push({ text: `One real call before / after the unary measurements: ${checks}.`, tone: allOk ? 'dim' : 'bad' });
  if (load.caveat) lines.push({ text: load.caveat, tone: 'dim' });
  if (machine.otherProgramsCpuPercent === null) {
    lines.push({ text: 'CPU time cannot be read on this system (no /proc): the CPU and limit columns are empty.', tone: 'dim' });
  }
  return { title: 'TaskManager bench: gRPC vs REST/JSON', lines };
}

export function reportSections(results: BenchResults): Section[] {
  return [cpuSection(results), unarySection(results), encodingSection(results), slowLinkSection(results), streamingSection(results)];
}

function cellOf(results: BenchResults, server: ServerKey, operation: UnaryOperation, callers: number): UnaryCell | undefined {
  return results.unary.find((cell) => cell.server === server && cell.operation === operation && cell.callers === callers);
}

function cpuSection(results: BenchResults): Section {
  const callers = Math.max(...results.settings.callers);
  const perCall = (server: ServerKey, operation: UnaryOperation) =>
    results.serverCpuPerCall.find((entry) => entry.server === server && entry.operation === operation)?.micros ?? null;
  const ratio = (over: number | null, under: number | null): Cell =>
    over === null || under === null || under === 0 ? '–' : times(over / under);
  return {
    id: 'cpu',
    title: 'Server CPU time per call',
    note: `(µs of the server process's CPU time per OK call, with ${callers} callers; lower is better. It does not depend on which side was the limit.)`,
    table: {
      columns: [
        { title: 'call', align: 'left' },
        ...SERVER_ORDER.map((server) => ({ title: SERVER_LABELS[server], align: 'right' as const })),
        { title: 'reference ÷ bare', align: 'right' },
        { title: 'reference ÷ REST', align: 'right' },
      ],
      rows: (['create', 'get'] as const).map((operation) => [
        OPERATION_LABELS[operation],
        ...SERVER_ORDER.map((server) => micros(perCall(server, operation))),
        ratio(perCall('grpc-reference', operation), perCall('grpc-bare', operation)),
        ratio(perCall('grpc-reference', operation), perCall('rest', operation)),
      ]),
    },
    after: [],
  };
}

function connectionsText(cell: UnaryCell): string {
  if (cell.server === 'rest') return `${cell.connections}`;
  return `${cell.connections} × ${cell.streamsPerConnection}`;
}

function unarySection(results: BenchResults): Section {
  const { settings, load } = results;
  const rows: Cell[][] = [];
  for (const operation of ['create', 'get'] as const) {
    for (const callers of settings.callers) {
      SERVER_ORDER.forEach((server, index) => {
        const cell = cellOf(results, server, operation, callers);
        if (!cell) return;
        rows.push([
          index === 0 ? OPERATION_LABELS[operation] : '',
          index === 0 ? String(callers) : '',
          SERVER_LABELS[server],
          connectionsText(cell),
          count(cell.throughputPerSec),
          ms(cell.latencyMs.p50),
          ms(cell.latencyMs.p99),
          percentOfCore(cell.cpu.serverPercent),
          percentOfCore(cell.cpu.loadPercent),
          cell.limit === 'server' ? { text: cell.limit, tone: 'good' } : cell.limit,
          micros(cell.cpu.serverMicrosPerCall),
          errorText(cell.errors),
        ]);
      });
    }
  }
  return {
    id: 'unary',
    title: 'Unary calls: throughput and latency',
    note:
      `(closed loop: N callers, each sending its next request when its answer arrives; only OK answers count. ` +
      `req/s is the median of ${settings.unarySlicesPerCell} slices of ${seconds(settings.unarySliceMs)}, the servers taking turns. ` +
      `Load: ${load.description}.)`,
    table: {
      columns: [
        { title: 'call', align: 'left' },
        { title: 'callers', align: 'right' },
        { title: 'server', align: 'left' },
        { title: 'connections', align: 'right' },
        { title: 'req/s', align: 'right' },
        { title: 'p50 ms', align: 'right' },
        { title: 'p99 ms', align: 'right' },
        { title: 'server CPU', align: 'right' },
        { title: 'load CPU', align: 'right' },
        { title: 'limit', align: 'left' },
        { title: 'server µs/call', align: 'right' },
        { title: 'errors', align: 'left' },
      ],
      rows,
    },
    after: [
      {
        text:
          'connections: gRPC "C × S" is C HTTP/2 connections carrying S calls each; REST uses one connection per caller. ' +
          'CPU: % of one core. limit: what held the throughput back (server: its core was full; all CPUs: the machine was full; ' +
          'load: the load generator was full; round trips: nobody was busy, each caller waited for its answer).',
        tone: 'dim',
      },
    ],
  };
}

function encodingSection(results: BenchResults): Section {
  return {
    id: 'encoding',
    title: 'Encoding',
    note: '(message bodies only; headers and framing are not counted. Time: in this process, one message at a time, median of several batches.)',
    table: {
      columns: [
        { title: 'what', align: 'left' },
        { title: 'protobuf', align: 'right' },
        { title: 'JSON', align: 'right' },
        { title: 'JSON ÷ protobuf', align: 'right' },
        { title: 'encode µs protobuf / JSON', align: 'right' },
        { title: 'decode µs protobuf / JSON', align: 'right' },
      ],
      rows: results.encoding.map((cell) => [
        cell.what,
        bytes(cell.protobufBytes),
        bytes(cell.jsonBytes),
        times(cell.jsonToProtobufRatio),
        `${micros(cell.microsPerMessage.protobufEncode)} / ${micros(cell.microsPerMessage.jsonEncode)}`,
        `${micros(cell.microsPerMessage.protobufDecode)} / ${micros(cell.microsPerMessage.jsonDecode)}`,
      ]),
    },
    after: [],
  };
}

export function slowLinkDescription({ settings }: BenchResults['slowLink']): string {
  return (
    `a proxy adds ${settings.rttMs} ms of round trip and caps each direction at ${settings.bandwidthMbitPerSec} Mbit/s; ` +
    `a new connection waits ${settings.connectionSetupRoundTrips} round trip before carrying data (TCP; no TLS)`
  );
}

function slowLinkSection(results: BenchResults): Section {
  const { slowLink } = results;
  let previous = '';
  const rows = slowLink.cells.map((cell): Cell[] => {
    const call = cell.call === 'create' ? 'Create' : `list of ${count(slowLink.settings.listTasks)}`;
    const group = `${call} ${cell.callers}`;
    const first = group !== previous;
    previous = group;
    return [
      first ? call : '',
      first ? String(cell.callers) : '',
      SLOW_LINK_CLIENT_LABELS[cell.client],
      count(cell.throughputPerSec),
      ms(cell.latencyMs.p50),
      ms(cell.latencyMs.p99),
      count(cell.bytesPerCall.up),
      count(cell.bytesPerCall.down),
      count(cell.connectionsOpened),
      count(cell.ok),
      errorText(cell.errors),
    ];
  });
  return {
    id: 'slow-link',
    title: 'Slow link',
    note: `(${slowLinkDescription(slowLink)}. The reference gRPC server and the REST twin behind it; the bench's own load.)`,
    table: {
      columns: [
        { title: 'call', align: 'left' },
        { title: 'callers', align: 'right' },
        { title: 'client', align: 'left' },
        { title: 'req/s', align: 'right' },
        { title: 'p50 ms', align: 'right' },
        { title: 'p99 ms', align: 'right' },
        { title: 'bytes up/call', align: 'right' },
        { title: 'bytes down/call', align: 'right' },
        { title: 'connections', align: 'right' },
        { title: 'calls', align: 'right' },
        { title: 'errors', align: 'left' },
      ],
      rows,
    },
    after: [{ text: 'bytes: everything through the link per call, headers and framing included (up: to the server).', tone: 'dim' }],
  };
}

function streamingSection(results: BenchResults): Section {
  const { streaming } = results;
  return {
    id: 'streaming',
    title: 'Streaming',
    note: '(time from sending a Create to each watcher receiving its CREATED event; clients: grpc-js and node:http in the bench process)',
    table: {
      columns: [
        { title: 'watchers', align: 'right' },
        { title: 'server', align: 'left' },
        { title: 'p50 ms', align: 'right' },
        { title: 'p99 ms', align: 'right' },
        { title: 'creates', align: 'right' },
        { title: 'samples', align: 'right' },
        { title: 'lost', align: 'right' },
        { title: 'errors', align: 'left' },
      ],
      rows: streaming.map((cell, index) => [
        index === 0 || streaming[index - 1]!.watchers !== cell.watchers ? count(cell.watchers) : '',
        cell.server === 'rest' ? 'REST/JSON (SSE)' : 'gRPC reference (WatchTasks)',
        ms(cell.latencyMs.p50),
        ms(cell.latencyMs.p99),
        count(cell.rounds),
        count(cell.samples),
        cell.lost === 0 ? { text: '0', tone: 'dim' } : { text: count(cell.lost), tone: 'bad' },
        errorText(cell.errors),
      ]),
    },
    after: [],
  };
}

export function formatReport(results: BenchResults): string {
  const header = reportHeader(results);
  const lines = [pc.bold(header.title), ...header.lines.map((line) => cellForTerminal(line))];
  for (const section of reportSections(results)) {
    lines.push('', `${pc.bold(pc.cyan(section.title))} ${pc.dim(section.note)}`);
    lines.push(...renderTableForTerminal(section.table), ...section.after.map((line) => cellForTerminal(line)));
  }
  return lines.join('\n');
}
