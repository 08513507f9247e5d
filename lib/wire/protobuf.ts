// Protobuf bytes as they are on the wire: a list of (field number, wire type,
// value), and no names at all. decodeMessage reads them with protobufjs's
// Reader (raw), then, when the message type is known from the method path,
// decodes the same bytes with the type (named) and measures them as JSON.
// The type also tells how to read a length-delimited value (string, nested
// message, packed numbers, bytes); a field it does not know (a renumbered or
// newer field) is guessed at, the way `protoc --decode_raw` does.
import protobuf from 'protobufjs';
import { PROTO_FILE } from '../proto.ts';

/** Wire type names as the protobuf encoding guide spells them. */
export const WIRE_TYPES = ['VARINT', 'I64', 'LEN', 'SGROUP', 'EGROUP', 'I32'] as const;
export type WireTypeName = (typeof WIRE_TYPES)[number];

export interface RawField {
  field: number;
  wire: WireTypeName;
  /**
   * VARINT, I64, I32: the number (a decimal string beyond 2^53); a float for
   * float/double fields. LEN: a string, a nested `{ fields }`, a packed list
   * of numbers, or bytes as hex, as `kind` says.
   */
  value: RawValue;
  kind?: 'string' | 'message' | 'packed' | 'bytes';
  /** LEN: the length prefix, i.e. the size of the value in bytes. */
  length?: number;
  /** The field's name in the proto, when the type is known and has this number. */
  name?: string;
  /** For an enum field: the name of the value. */
  enum?: string;
}

export type RawValue = number | string | Array<number | string> | RawMessage;

export interface RawMessage {
  /** The full name of the message type, when known (from the method path, or the field of a known type). */
  type?: string;
  fields: RawField[];
  /** Why reading stopped early (the fields before it are kept). */
  error?: string;
}

export interface DecodedMessage extends RawMessage {
  /** The same message through its type: names instead of numbers. */
  json?: unknown;
  /** The size of `json` as JSON text, to set beside the protobuf size. */
  jsonLength?: number;
  /** The bytes as hex, when they did not decode cleanly (capped). */
  hex?: string;
}

/** Nesting deeper than this is shown as bytes: a guard against hostile input. */
const MAX_DEPTH = 32;
const HEX_PREVIEW_BYTES = 64;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeMessage(bytes: Uint8Array, type?: protobuf.Type): DecodedMessage {
  const raw = decodeRaw(bytes, type, 0);
  const decoded: DecodedMessage = { ...raw };
  // Bytes the raw reading rejected get no named view: it would be made up
  // (protobufjs reads strings leniently past the end of a Buffer).
  if (type && raw.error === undefined) {
    try {
      const json = type.toObject(type.decode(bytes), { longs: String, enums: String, bytes: String });
      decoded.json = json;
      decoded.jsonLength = Buffer.byteLength(JSON.stringify(json));
    } catch (error) {
      decoded.error ??= `not a valid ${typeName(type)}: ${errorText(error)}`;
    }
  }
  if (decoded.error !== undefined) decoded.hex = hexPreview(bytes);
  return decoded;
}

export function hexPreview(bytes: Uint8Array, max = HEX_PREVIEW_BYTES): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, max)).toString('hex');
  return bytes.length > max ? `${hex}…` : hex;
}

/** Every field of `bytes`, in wire order. Never throws: a decode failure ends the list with `error`. */
export function decodeRaw(bytes: Uint8Array, type: protobuf.Type | undefined, depth: number): RawMessage {
  const reader = protobuf.Reader.create(bytes);
  const fields: RawField[] = [];
  const message: RawMessage = type ? { type: typeName(type), fields } : { fields };
  const fail = (error: string): RawMessage => ({ ...message, error });
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const number = tag >>> 3;
      const wire = WIRE_TYPES[tag & 7];
      if (number === 0) return fail(`field number 0 at byte ${reader.pos - 1} (numbers start at 1)`);
      if (wire === undefined) return fail(`wire type ${tag & 7} at field ${number} does not exist`);
      const known = type?.fieldsById[number];
      const field: RawField = { field: number, wire, value: 0 };
      if (known) field.name = known.name;
      switch (wire) {
        case 'VARINT': {
          field.value = unsigned(reader.uint64());
          const enumType = known?.resolvedType;
          if (enumType instanceof protobuf.Enum) {
            const name = enumType.valuesById[Number(field.value)];
            if (name !== undefined) field.enum = name;
          }
          break;
        }
        case 'I64':
          field.value = known?.type === 'double' ? reader.double() : unsigned(reader.fixed64());
          break;
        case 'I32':
          field.value = known?.type === 'float' ? reader.float() : reader.fixed32();
          break;
        case 'LEN': {
          const value = reader.bytes();
          field.length = value.length;
          Object.assign(field, readLength(value, known, depth));
          break;
        }
        case 'SGROUP':
          // Groups are a proto2 relic: skipped whole, never shown.
          reader.skipType(3);
          field.value = '(group)';
          break;
        case 'EGROUP':
          return fail(`an end-group marker (field ${number}) without its start`);
      }
      fields.push(field);
    }
  } catch (error) {
    return fail(errorText(error));
  }
  return message;
}

function typeName(type: protobuf.Type): string {
  return type.fullName.replace(/^\./, '');
}

/** A length-delimited value: the field's type says what it is; without one, a guess. */
function readLength(bytes: Uint8Array, known: protobuf.Field | undefined, depth: number): Pick<RawField, 'value' | 'kind'> {
  const resolved = known?.resolvedType;
  if (known && !(known instanceof protobuf.MapField)) {
    if (resolved instanceof protobuf.Type) return nested(bytes, resolved, depth);
    if (known.type === 'string') return { kind: 'string', value: Buffer.from(bytes).toString('utf8') };
    if (known.type === 'bytes') return { kind: 'bytes', value: hexPreview(bytes) };
    const elementWire = (protobuf.types.packed as Record<string, number | undefined>)[known.type];
    if (known.repeated && elementWire !== undefined) return { kind: 'packed', value: readPacked(bytes, elementWire, known.type) };
  }
  return guessLength(bytes, depth);
}

function nested(bytes: Uint8Array, type: protobuf.Type | undefined, depth: number): Pick<RawField, 'value' | 'kind'> {
  if (depth >= MAX_DEPTH) return { kind: 'bytes', value: hexPreview(bytes) };
  return { kind: 'message', value: decodeRaw(bytes, type, depth + 1) };
}

/** No type to go by: printable UTF-8 is a string, a clean parse is a message, the rest is bytes. */
function guessLength(bytes: Uint8Array, depth: number): Pick<RawField, 'value' | 'kind'> {
  const text = printableText(bytes);
  if (text !== undefined) return { kind: 'string', value: text };
  if (depth < MAX_DEPTH) {
    const message = decodeRaw(bytes, undefined, depth + 1);
    if (message.error === undefined && message.fields.length > 0) return { kind: 'message', value: message };
  }
  return { kind: 'bytes', value: hexPreview(bytes) };
}

function printableText(bytes: Uint8Array): string | undefined {
  try {
    const text = utf8.decode(bytes);
    // Control characters other than tab and newlines mean binary, not text.
    return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

function readPacked(bytes: Uint8Array, wire: number, type: string): Array<number | string> {
  const reader = protobuf.Reader.create(bytes);
  const values: Array<number | string> = [];
  while (reader.pos < reader.len) {
    if (wire === 0) values.push(unsigned(reader.uint64()));
    else if (wire === 1) values.push(type === 'double' ? reader.double() : unsigned(reader.fixed64()));
    else values.push(type === 'float' ? reader.float() : reader.fixed32());
  }
  return values;
}

/** A 64-bit value as a number when exact, else as a decimal string. */
function unsigned(value: protobuf.Long | number): number | string {
  if (typeof value === 'number') return value;
  const text = value.toString();
  const number = Number(text);
  return Number.isSafeInteger(number) ? number : text;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface MethodTypes {
  request: protobuf.Type;
  response: protobuf.Type;
  responseStream: boolean;
}

/** The message types of each method, looked up by its path ("/taskmanager.TaskManager/GetTask"). */
export class ProtoSchema {
  readonly #root: protobuf.Root;
  readonly #cache = new Map<string, MethodTypes | undefined>();

  constructor(root: protobuf.Root) {
    this.#root = root;
  }

  /** Parses proto files (field names as written, like the rest of the workbook). Throws if one does not parse. */
  static load(files: string[] = [PROTO_FILE]): ProtoSchema {
    const root = new protobuf.Root().loadSync(files, { keepCase: true });
    root.resolveAll();
    return new ProtoSchema(root);
  }

  method(path: string): MethodTypes | undefined {
    if (!this.#cache.has(path)) this.#cache.set(path, this.#find(path));
    return this.#cache.get(path);
  }

  #find(path: string): MethodTypes | undefined {
    const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
    if (!match) return undefined;
    const service = this.#root.lookup(match[1]!);
    if (!(service instanceof protobuf.Service)) return undefined;
    const method = service.methods[match[2]!];
    if (!method?.resolvedRequestType || !method.resolvedResponseType) return undefined;
    return { request: method.resolvedRequestType, response: method.resolvedResponseType, responseStream: method.responseStream === true };
  }
}
