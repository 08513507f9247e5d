// Records as a person reads them: one line per frame (time, connection,
// direction, type, stream, call, length, flags), then indented detail lines
// (headers, gRPC messages field by field, settings). Made for an 80-column
// terminal; colour only when asked for. `--jsonl` skips all this (formatJsonLine).
import { createColors } from 'picocolors';
import type { RawField, RawMessage } from './protobuf.ts';
import { type Direction, type EventRecord, type FrameRecord, type GrpcMessageRecord, isFrame, type WireRecord } from './records.ts';

export interface TextOptions {
  colors: boolean;
  /** Terminal width; lines are cut to it (default 80). */
  width?: number;
}

type Colors = ReturnType<typeof createColors>;

const DETAIL_INDENT = ' '.repeat(10);
const ARROWS: Record<Direction, string> = { c2s: '→', s2c: '←' };
/** Where field names start in a message's field list, counted from the right edge. */
const NAME_COLUMN_FROM_RIGHT = 14;

export function formatJsonLine(record: WireRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** The record as text lines, each ending in a newline. */
export function formatText(record: WireRecord, options: TextOptions): string {
  const c = createColors(options.colors);
  const width = Math.max(options.width ?? 80, 60);
  const lines = isFrame(record) ? frameLines(record, c, width) : eventLines(record, c);
  return lines.map((line) => `${fit(line.trimEnd(), width)}\n`).join('');
}

function prefix(record: { time: number; conn: number }, c: Colors): string {
  return `${c.dim((record.time / 1000).toFixed(3).padStart(7))} c${record.conn}`;
}

function arrow(dir: Direction, c: Colors): string {
  return dir === 'c2s' ? c.blue(ARROWS.c2s) : c.magenta(ARROWS.s2c);
}

function typeColor(type: string, c: Colors): (text: string) => string {
  if (type === 'HEADERS' || type === 'CONTINUATION') return c.cyan;
  if (type === 'DATA') return c.green;
  if (type === 'RST_STREAM' || type === 'GOAWAY' || type === 'UNKNOWN') return c.yellow;
  return c.dim;
}

function frameLines(record: FrameRecord, c: Colors, width: number): string[] {
  const typeText = record.type === 'UNKNOWN' ? `UNKNOWN 0x${(record.typeCode ?? 0).toString(16)}` : record.type;
  const call = record.method ? shorten(record.method.slice(record.method.lastIndexOf('/') + 1), 10) : '';
  const head = [
    prefix(record, c),
    arrow(record.dir, c),
    typeColor(record.type, c)(typeText.padEnd(13)),
    `s${record.stream}`.padEnd(3),
    c.bold(call.padEnd(10)),
    `${record.length} B`.padStart(7),
    ...(record.flags.length > 0 ? [c.dim(record.flags.join(' '))] : []),
  ].join(' ');
  const details: string[] = [];
  const inline = inlineSummary(record, c);
  const lines = [head];
  if (inline) {
    if (visibleLength(head) + 1 + visibleLength(inline) <= width) lines[0] = `${head} ${inline}`;
    else details.push(inline);
  }
  if (record.oversized) details.push(c.yellow(`longer than the receiver's MAX_FRAME_SIZE (${record.oversized.limit} B)`));
  if (record.settings)
    details.push(
      ...wrap(
        Object.entries(record.settings).map(([name, value]) => `${name}=${value}`),
        width,
      ),
    );
  if (record.headers) details.push(...headerLines(record, c));
  const messages = record.messages ?? (record.message ? [record.message] : []);
  for (const message of messages) details.push(...messageLines(message, c, width));
  if (record.messagesNotShown) details.push(c.dim(`and ${record.messagesNotShown} more gRPC messages, not decoded`));
  if (record.partial) details.push(c.dim(`part of a ${record.partial.length} B gRPC message: ${record.partial.received} B so far`));
  if (record.debug) details.push(`debug data: ${record.debug}`);
  if (record.hex) details.push(c.dim(`payload ${record.hex}`));
  if (record.error) details.push(c.red(`✘ ${record.error}`));
  return [...lines, ...details.map((line) => DETAIL_INDENT + line)];
}

/** What fits after the flags: the one thing that matters in a small control frame. */
function inlineSummary(record: FrameRecord, c: Colors): string | undefined {
  if (record.errorCode !== undefined) {
    const code = record.errorCode === 'NO_ERROR' ? record.errorCode : c.yellow(record.errorCode);
    return record.lastStream !== undefined ? `${code}, last stream ${record.lastStream}` : code;
  }
  if (record.increment !== undefined) return `+${record.increment}`;
  if (record.opaque !== undefined) return c.dim(record.opaque);
  if (record.priority) return c.dim(`depends on ${record.priority.dependsOn}, weight ${record.priority.weight}`);
  if (record.promisedStream !== undefined) return `promised stream ${record.promisedStream}`;
  return undefined;
}

const ROLE_LABELS: Record<NonNullable<FrameRecord['headerRole']>, string> = {
  request: 'request headers',
  response: 'response headers',
  trailers: 'trailers',
  'trailers-only': 'trailers-only response',
};

function headerLines(record: FrameRecord, c: Colors): string[] {
  const lines: string[] = [];
  if (record.hpack) {
    const { encodedLength, decodedLength } = record.hpack;
    const role = record.headerRole ? ROLE_LABELS[record.headerRole] : 'headers';
    lines.push(c.dim(`${role}, HPACK: ${encodedLength} B for ${decodedLength} B of names and values`));
    if (record.hpack.tableLost) lines.push(c.yellow('HPACK table lost after an earlier error: values may be wrong'));
  }
  for (const { name, value } of record.headers ?? []) {
    const shown = name === 'grpc-status' ? statusColor(record, c)(value) : value;
    lines.push(`${c.cyan(name)}: ${shown}`);
  }
  if (record.status) {
    const { code, name, message } = record.status;
    lines.push(statusColor(record, c)(`status ${name} (${code})${message ? `: ${message}` : ''}`));
  }
  return lines;
}

function statusColor(record: FrameRecord, c: Colors): (text: string) => string {
  return record.status?.code === 0 ? c.green : c.red;
}

function messageLines(message: GrpcMessageRecord, c: Colors, width: number): string[] {
  // The 5-byte prefix (compressed flag, length), then what the method path says the message is.
  let title = `gRPC message, ${message.compressed ? 'compressed' : 'uncompressed'}, ${message.length} B`;
  if (message.type) title += `: ${message.type.slice(message.type.lastIndexOf('.') + 1)}`;
  if (message.jsonLength !== undefined) title += ` · ${message.jsonLength} B as JSON`;
  const lines = [c.green(title)];
  if (message.note) lines.push(c.yellow(message.note));
  lines.push(...fieldLines(message, 0, c, width));
  if (message.json !== undefined) lines.push(c.dim(`JSON ${JSON.stringify(message.json)}`));
  if (message.hex !== undefined) lines.push(c.dim(`bytes ${message.hex}`));
  if (message.error !== undefined) lines.push(c.red(`✘ ${message.error}`));
  return lines;
}

/** One line per field: number, wire type, value; the field's name (if the type is known) in a column on the right. */
function fieldLines(message: RawMessage, depth: number, c: Colors, width: number): string[] {
  const lines: string[] = [];
  const nameColumn = width - NAME_COLUMN_FROM_RIGHT - DETAIL_INDENT.length;
  for (const field of message.fields) {
    const left = `${'  '.repeat(depth)}${String(field.field).padStart(2)} ${field.wire.padEnd(6)} `;
    const value = shorten(valueText(field), Math.max(nameColumn - left.length - 1, 8));
    let name = '';
    if (field.name !== undefined) name = c.dim(field.name);
    else if (message.type !== undefined) name = c.yellow('unknown field');
    const gap = ' '.repeat(Math.max(nameColumn - left.length - value.length, 1));
    lines.push(`${c.yellow(left.slice(0, -1))} ${value}${name ? gap + name : ''}`);
    if (field.kind === 'message' && typeof field.value === 'object' && !Array.isArray(field.value)) {
      lines.push(...fieldLines(field.value, depth + 1, c, width));
      if (field.value.error !== undefined) lines.push(`${'  '.repeat(depth + 1)}${c.red(`✘ ${field.value.error}`)}`);
    }
  }
  return lines;
}

function valueText(field: RawField): string {
  const { value } = field;
  switch (field.kind) {
    case 'string':
      return JSON.stringify(value);
    case 'message':
      return `${field.length} B ${typeof value === 'object' && !Array.isArray(value) && value.type ? value.type.slice(value.type.lastIndexOf('.') + 1) : 'message'}:`;
    case 'packed':
      return `packed [${(value as Array<number | string>).join(', ')}]`;
    case 'bytes':
      return `${field.length} B 0x${value as string}`;
    default:
      return field.enum !== undefined ? `${value} = ${field.enum}` : String(value);
  }
}

function eventLines(record: EventRecord, c: Colors): string[] {
  const head = prefix(record, c);
  switch (record.event) {
    case 'open':
      return [`${head} ${c.bold('open')} ${record.client} → ${record.target}`];
    case 'close': {
      const ids = record.streams;
      const listed = ids.length <= 8 ? ids.join(' ') : `${ids.slice(0, 3).join(' ')} … ${ids.at(-1)}`;
      const streams = record.streamCount === 1 ? '1 stream' : `${record.streamCount} streams`;
      const carried = record.streamCount === 0 ? 'no streams' : `${streams} (${listed}), up to ${record.maxConcurrentStreams} open at once`;
      return [
        `${head} ${c.bold('closed')}: ${carried}`,
        `${DETAIL_INDENT}frames ${ARROWS.c2s} ${record.frames.c2s} ${ARROWS.s2c} ${record.frames.s2c} · bytes ${ARROWS.c2s} ${record.bytes.c2s} ${ARROWS.s2c} ${record.bytes.s2c}`,
      ];
    }
    case 'not-http2':
      return [
        `${head} ${arrow(record.dir, c)} ${c.yellow(`not HTTP/2: ${record.reason}`)}; forwarded as is`,
        `${DETAIL_INDENT}${c.dim(record.preview)}`,
      ];
    case 'truncated':
      return [`${head} ${arrow(record.dir, c)} ${c.yellow(`cut short: ${record.received} of ${record.expected} B of a ${record.what}`)}`];
    case 'error':
      return [`${head} ${record.dir ? `${arrow(record.dir, c)} ` : ''}${c.red(record.message)}`];
  }
}

/** Lines of `items` joined by spaces, each within the width less the indent. */
function wrap(items: string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line && line.length + 1 + item.length > width - DETAIL_INDENT.length) {
      lines.push(line);
      line = item;
    } else line = line ? `${line} ${item}` : item;
  }
  if (line) lines.push(line);
  return lines;
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const ANSI = /\u001b\[[0-9;]*m/g;

function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

/** Cuts a line (which may hold colour codes) to `width` visible characters. */
export function fit(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let visible = 0;
  let out = '';
  for (let index = 0; index < line.length; ) {
    ANSI.lastIndex = index;
    const code = line[index] === '\u001b' ? ANSI.exec(line) : null;
    if (code && code.index === index) {
      out += code[0];
      index += code[0].length;
      continue;
    }
    if (visible === width - 1) {
      out += '…';
      break;
    }
    out += line[index];
    visible += 1;
    index += 1;
  }
  // Close any colour left open by the cut.
  return out.includes('\u001b') ? `${out}\u001b[0m` : out;
}
