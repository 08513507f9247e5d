// The bench's results as one self-contained HTML page: the same sections and
// tables as the terminal (bench/report.ts), each with its charts (inline SVG,
// bench/svg.ts). No script, no style sheet or font fetched: it opens offline,
// from a file, and can be attached to a message as it is.

import { OPERATION_LABELS, reportHeader, reportSections, SERVER_ORDER, type SectionId, SLOW_LINK_CLIENT_LABELS } from './report.ts';
import type { BenchResults, ServerKey, SlowLinkClient } from './results.ts';
import { SERVER_LABELS } from './servers.ts';
import { type BarChart, escapeXml, renderBarChart } from './svg.ts';
import { type Cell, cellText, cellTone, type Table } from './table.ts';

const SERVER_COLORS: Record<ServerKey, string> = { 'grpc-reference': '#1d4ed8', 'grpc-bare': '#93c5fd', rest: '#ea580c' };
const CLIENT_COLORS: Record<SlowLinkClient, string> = { grpc: '#1d4ed8', 'rest-keep-alive': '#ea580c', 'rest-new-connection': '#b91c1c' };
const PROTOBUF = { name: 'protobuf', color: '#1d4ed8' };
const JSON_SERIES = { name: 'JSON', color: '#ea580c' };

const callersLabel = (callers: number) => `${callers} caller${callers === 1 ? '' : 's'}`;
const serverSeries = SERVER_ORDER.map((server) => ({ name: SERVER_LABELS[server], color: SERVER_COLORS[server] }));

/** The charts of each section. */
export function chartsFor(results: BenchResults): Record<SectionId, BarChart[]> {
  const { settings, unary, encoding, slowLink, streaming } = results;
  const unaryValue = (operation: 'create' | 'get', pick: (cell: BenchResults['unary'][number]) => number | null) =>
    SERVER_ORDER.map((server) =>
      settings.callers.map((callers) => {
        const cell = unary.find((entry) => entry.server === server && entry.operation === operation && entry.callers === callers);
        return cell ? pick(cell) : null;
      }),
    );
  const unaryCharts = (['create', 'get'] as const).flatMap((operation): BarChart[] => [
    {
      title: `${OPERATION_LABELS[operation]}: calls per second by number of callers`,
      unit: 'req/s',
      groups: settings.callers.map(callersLabel),
      series: serverSeries,
      values: unaryValue(operation, (cell) => cell.throughputPerSec),
    },
    {
      title: `${OPERATION_LABELS[operation]}: latency, p50 (bar) and p99 (whisker)`,
      unit: 'ms',
      groups: settings.callers.map(callersLabel),
      series: serverSeries,
      values: unaryValue(operation, (cell) => cell.latencyMs.p50),
      whiskers: unaryValue(operation, (cell) => cell.latencyMs.p99),
      scale: 'log',
    },
  ]);

  const slowGroups = [...new Set(slowLink.cells.map((cell) => `${cell.call} ${cell.callers}`))];
  const slowGroupLabel = (key: string) => {
    const [call, callers] = key.split(' ');
    return `${call === 'create' ? 'Create' : `list of ${slowLink.settings.listTasks.toLocaleString('en-US')}`}, ${callersLabel(Number(callers))}`;
  };
  const clients = [...new Set(slowLink.cells.map((cell) => cell.client))];
  const slowValue = (pick: (cell: BenchResults['slowLink']['cells'][number]) => number) =>
    clients.map((client) =>
      slowGroups
        .map((group) => slowLink.cells.find((cell) => cell.client === client && `${cell.call} ${cell.callers}` === group))
        .map((cell) => (cell ? pick(cell) : null)),
    );
  const clientSeries = clients.map((client) => ({ name: SLOW_LINK_CLIENT_LABELS[client], color: CLIENT_COLORS[client] }));

  return {
    cpu: [
      {
        title: `Server CPU time per call (${callersLabel(Math.max(...settings.callers))}); lower is better`,
        unit: 'µs per call',
        groups: ['Create', 'Get'],
        series: serverSeries,
        values: SERVER_ORDER.map((server) =>
          (['create', 'get'] as const).map(
            (operation) =>
              results.serverCpuPerCall.find((entry) => entry.server === server && entry.operation === operation)?.micros ?? null,
          ),
        ),
      },
    ],
    unary: unaryCharts,
    encoding: [
      {
        title: 'Encoded size',
        unit: 'bytes',
        groups: encoding.map((cell) => (cell.tasks === 1 ? 'one task' : `${cell.tasks.toLocaleString('en-US')} tasks`)),
        series: [PROTOBUF, JSON_SERIES],
        values: [encoding.map((cell) => cell.protobufBytes), encoding.map((cell) => cell.jsonBytes)],
        scale: 'log',
      },
      ...encoding.map(
        (cell): BarChart => ({
          title: `Encode and decode time: ${cell.tasks === 1 ? 'one task' : `${cell.tasks.toLocaleString('en-US')}-task list`} (in process)`,
          unit: 'µs per message',
          groups: ['encode (objects → bytes)', 'decode (bytes → objects)'],
          series: [PROTOBUF, JSON_SERIES],
          values: [
            [cell.microsPerMessage.protobufEncode, cell.microsPerMessage.protobufDecode],
            [cell.microsPerMessage.jsonEncode, cell.microsPerMessage.jsonDecode],
          ],
        }),
      ),
    ],
    'slow-link': [
      {
        title: 'Slow link: latency, p50 (bar) and p99 (whisker)',
        unit: 'ms',
        groups: slowGroups.map(slowGroupLabel),
        series: clientSeries,
        values: slowValue((cell) => cell.latencyMs.p50),
        whiskers: slowValue((cell) => cell.latencyMs.p99),
      },
      {
        title: 'Slow link: calls per second',
        unit: 'req/s',
        groups: slowGroups.map(slowGroupLabel),
        series: clientSeries,
        values: slowValue((cell) => cell.throughputPerSec),
      },
      {
        title: 'Slow link: bytes through the link per call (both ways, headers included)',
        unit: 'bytes',
        groups: slowGroups.map(slowGroupLabel),
        series: clientSeries,
        values: slowValue((cell) => cell.bytesPerCall.up + cell.bytesPerCall.down),
        scale: 'log',
      },
    ],
    streaming: [
      {
        title: 'Create → event: p50 (bar) and p99 (whisker)',
        unit: 'ms',
        groups: settings.watcherCounts.map((watchers) => `${watchers.toLocaleString('en-US')} watcher${watchers === 1 ? '' : 's'}`),
        series: (['grpc-reference', 'rest'] as const).map((server) => ({
          name: server === 'rest' ? 'REST/JSON (SSE)' : 'gRPC reference (WatchTasks)',
          color: SERVER_COLORS[server],
        })),
        values: (['grpc-reference', 'rest'] as const).map((server) =>
          settings.watcherCounts.map(
            (watchers) => streaming.find((cell) => cell.server === server && cell.watchers === watchers)?.latencyMs.p50 ?? null,
          ),
        ),
        whiskers: (['grpc-reference', 'rest'] as const).map((server) =>
          settings.watcherCounts.map(
            (watchers) => streaming.find((cell) => cell.server === server && cell.watchers === watchers)?.latencyMs.p99 ?? null,
          ),
        ),
        scale: 'log',
      },
    ],
  };
}

function renderCell(cell: Cell | undefined, tag: 'td' | 'th', align: string): string {
  const tone = cellTone(cell);
  const classes = [align === 'right' ? 'num' : '', tone ?? ''].filter(Boolean).join(' ');
  return `<${tag}${classes ? ` class="${classes}"` : ''}>${escapeXml(cellText(cell))}</${tag}>`;
}

function renderTable({ columns, rows }: Table): string {
  const head = columns.map((column) => renderCell(column.title, 'th', column.align)).join('');
  const body = rows
    .map((row) => `<tr>${columns.map((column, index) => renderCell(row[index], 'td', column.align)).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const renderLine = (line: Cell) => `<p${cellTone(line) ? ` class="${cellTone(line)}"` : ''}>${escapeXml(cellText(line))}</p>`;

const STYLE = `
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #111827; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; } h2 { font-size: 1.2rem; margin: 2.2rem 0 .2rem; }
p { margin: .25rem 0; } p.note { color: #4b5563; } .dim { color: #6b7280; } .bad { color: #b91c1c; font-weight: 600; } .good { color: #15803d; } .strong { font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: .5rem 1.5rem; margin: .75rem 0; }
svg { width: 100%; height: auto; font-family: inherit; }
svg .chart-title { font-size: 14px; font-weight: 600; fill: #111827; } svg .legend, svg .group { font-size: 12px; fill: #374151; }
svg .tick, svg .unit { font-size: 11px; fill: #6b7280; } svg .value { font-size: 10px; fill: #374151; }
svg .grid { stroke: #e5e7eb; } svg .axis { stroke: #9ca3af; } svg .whisker { stroke: #111827; stroke-width: 1.2; }
table { border-collapse: collapse; margin: .5rem 0; font-size: 13px; } th, td { padding: .2rem .6rem; border-bottom: 1px solid #e5e7eb; text-align: left; white-space: nowrap; }
th { background: #f3f4f6; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
`;

/** The whole page, from the results alone. */
export function renderHtml(results: BenchResults): string {
  const header = reportHeader(results);
  const charts = chartsFor(results);
  const sections = reportSections(results).map(
    (section) => `<section id="${section.id}">
<h2>${escapeXml(section.title)}</h2>
<p class="note">${escapeXml(section.note)}</p>
<div class="charts">${charts[section.id].map(renderBarChart).join('\n')}</div>
${renderTable(section.table)}
${section.after.map(renderLine).join('\n')}
</section>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(header.title)}, ${escapeXml(results.startedAt)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeXml(header.title)}</h1>
<p class="dim">${escapeXml(results.startedAt)}, wall time ${(results.wallTimeMs / 1000).toFixed(1)} s (schema ${escapeXml(results.schema)})</p>
${header.lines.map(renderLine).join('\n')}
${sections.join('\n')}
</body>
</html>
`;
}
