// The proto contract: what must stay true of protos/task_manager.proto so that
// clients and servers of the practice series (Python, Rust, ours) interoperate.
// Phase 1 of the checker and test/proto.test.ts both check against this.
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS } from '../../../lib/proto.ts';

export const PACKAGE = 'taskmanager';
export const SERVICE = 'TaskManager';

export const ENUMS: Record<string, Record<string, number>> = {
  TaskStatus: { TASK_STATUS_UNSPECIFIED: 0, TASK_STATUS_TODO: 1, TASK_STATUS_IN_PROGRESS: 2, TASK_STATUS_DONE: 3 },
  TaskEventType: {
    TASK_EVENT_TYPE_UNSPECIFIED: 0,
    TASK_EVENT_TYPE_CREATED: 1,
    TASK_EVENT_TYPE_UPDATED: 2,
    TASK_EVENT_TYPE_DELETED: 3,
  },
};

/** message → field → [number, type]; the type is a scalar name or a message/enum name. */
export const FIELDS: Record<string, Record<string, [number, string]>> = {
  Task: {
    id: [1, 'string'],
    title: [2, 'string'],
    description: [3, 'string'],
    status: [4, 'TaskStatus'],
    created_at: [5, 'string'],
    updated_at: [6, 'string'],
    tags: [7, 'string'],
  },
  CreateTaskRequest: { title: [1, 'string'], description: [2, 'string'], tags: [3, 'string'] },
  CreateTaskResponse: { task: [1, 'Task'] },
  GetTaskRequest: { id: [1, 'string'] },
  GetTaskResponse: { task: [1, 'Task'] },
  UpdateTaskRequest: { id: [1, 'string'], title: [2, 'string'], description: [3, 'string'], status: [4, 'TaskStatus'] },
  UpdateTaskResponse: { task: [1, 'Task'] },
  DeleteTaskRequest: { id: [1, 'string'] },
  DeleteTaskResponse: { task: [1, 'Task'] },
  ListTasksRequest: { status: [1, 'TaskStatus'], tag: [2, 'string'] },
  ListTasksResponse: { tasks: [1, 'Task'] },
  TaskEvent: { event_type: [1, 'TaskEventType'], task: [2, 'Task'] },
};

/** The repeated fields: lists on the wire. */
export const REPEATED = ['Task.tags', 'CreateTaskRequest.tags', 'ListTasksResponse.tasks'];

export const RPCS: Record<string, { request: string; response: string; serverStreaming: boolean }> = {
  CreateTask: { request: 'CreateTaskRequest', response: 'CreateTaskResponse', serverStreaming: false },
  GetTask: { request: 'GetTaskRequest', response: 'GetTaskResponse', serverStreaming: false },
  UpdateTask: { request: 'UpdateTaskRequest', response: 'UpdateTaskResponse', serverStreaming: false },
  DeleteTask: { request: 'DeleteTaskRequest', response: 'DeleteTaskResponse', serverStreaming: false },
  ListTasks: { request: 'ListTasksRequest', response: 'ListTasksResponse', serverStreaming: false },
  WatchTasks: { request: 'WatchTasksRequest', response: 'TaskEvent', serverStreaming: true },
};

interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
}

const SCALAR_TYPES: Record<string, string> = {
  TYPE_STRING: 'string',
  TYPE_BOOL: 'bool',
  TYPE_INT32: 'int32',
  TYPE_INT64: 'int64',
  TYPE_UINT32: 'uint32',
  TYPE_UINT64: 'uint64',
  TYPE_DOUBLE: 'double',
  TYPE_FLOAT: 'float',
  TYPE_BYTES: 'bytes',
};

/** The parsed proto, with questions the checks ask of it. */
export class ProtoDescription {
  readonly definition: protoLoader.PackageDefinition;

  /** Throws protobufjs' parse error (with file and line) when the proto does not parse. */
  constructor(protoFile: string) {
    this.definition = protoLoader.loadSync(protoFile, LOADER_OPTIONS);
  }

  enumValues(name: string): Record<string, number> | undefined {
    const entry = this.definition[`${PACKAGE}.${name}`] as { type?: { value?: Array<{ name: string; number: number }> } } | undefined;
    const values = entry?.type?.value;
    return values && Object.fromEntries(values.map((value) => [value.name, value.number]));
  }

  /** field name → { number, type, repeated } of a message, or undefined if there is no such message. */
  fields(message: string): Map<string, { number: number; type: string; repeated: boolean }> | undefined {
    const entry = this.definition[`${PACKAGE}.${message}`] as { type?: { field?: FieldDescriptor[] } } | undefined;
    const fields = entry?.type?.field;
    if (!fields) return undefined;
    return new Map(
      fields.map((field) => [
        field.name,
        {
          number: field.number,
          type: SCALAR_TYPES[field.type] ?? field.typeName.replace(/^\.?taskmanager\./, ''),
          repeated: field.label === 'LABEL_REPEATED',
        },
      ]),
    );
  }

  service(): protoLoader.ServiceDefinition | undefined {
    const entry = this.definition[`${PACKAGE}.${SERVICE}`];
    return entry && !('type' in entry) ? (entry as protoLoader.ServiceDefinition) : undefined;
  }

  /** A request of `rpc` serialized and read back, as the server would receive it. */
  roundTrip(rpc: string, request: object): Record<string, unknown> {
    const method = this.service()?.[rpc];
    if (!method) throw new Error(`no RPC ${rpc}`);
    return method.requestDeserialize(method.requestSerialize(request)) as Record<string, unknown>;
  }
}

/** Differences between the proto's enums and the contract, one sentence each. */
export function enumProblems(proto: ProtoDescription): string[] {
  const problems: string[] = [];
  for (const [name, expected] of Object.entries(ENUMS)) {
    const actual = proto.enumValues(name);
    if (!actual) {
      problems.push(`enum ${name} is missing`);
      continue;
    }
    for (const [value, number] of Object.entries(expected)) {
      if (actual[value] === undefined) problems.push(`${name}.${value} is missing`);
      else if (actual[value] !== number) problems.push(`${name}.${value} is ${actual[value]}, the contract says ${number}`);
    }
  }
  return problems;
}

/** Differences between the proto's messages and the contract, one sentence each. */
export function fieldProblems(proto: ProtoDescription): string[] {
  const problems: string[] = [];
  for (const [message, expected] of Object.entries(FIELDS)) {
    const actual = proto.fields(message);
    if (!actual) {
      problems.push(`message ${message} is missing`);
      continue;
    }
    for (const [name, [number, type]] of Object.entries(expected)) {
      const field = actual.get(name);
      if (!field) problems.push(`${message}.${name} is missing`);
      else if (field.number !== number) problems.push(`${message}.${name} is field ${field.number}, the contract says ${number}`);
      else if (field.type !== type) problems.push(`${message}.${name} has type ${field.type}, the contract says ${type}`);
    }
  }
  return problems;
}

/** Missing IDL features the workbook teaches (repeated, optional, oneof), one sentence each. */
export function teachingProblems(proto: ProtoDescription): string[] {
  const problems: string[] = [];
  for (const path of REPEATED) {
    const [message, field] = path.split('.') as [string, string];
    if (proto.fields(message)?.get(field)?.repeated !== true) problems.push(`${path} should be repeated`);
  }
  // proto-loader's descriptor drops proto3 `optional`, so ask the wire: an
  // optional field keeps "sent but empty" apart from "not sent".
  try {
    if (proto.roundTrip('UpdateTask', { id: 'x', title: '' }).title !== '') {
      problems.push('UpdateTaskRequest.title should be `optional` (an empty title must stay apart from no title)');
    }
    if (proto.roundTrip('UpdateTask', { id: 'x', description: '' }).description !== '') {
      problems.push('UpdateTaskRequest.description should be `optional`');
    }
    // With a oneof, the loader names the member that is set in a virtual `filter` field.
    const byTag = proto.roundTrip('ListTasks', { tag: 'x' });
    const byStatus = proto.roundTrip('ListTasks', { status: 'TASK_STATUS_DONE' });
    if (byTag.filter !== 'tag' || byStatus.filter !== 'status') {
      problems.push('ListTasksRequest should hold status and tag in a `oneof filter`');
    }
  } catch (error) {
    problems.push(`could not check optional and oneof: ${error instanceof Error ? error.message : String(error)}`);
  }
  return problems;
}

/** Differences between the service and the contract, one sentence each. */
export function serviceProblems(proto: ProtoDescription): string[] {
  const service = proto.service();
  if (!service) return [`service ${SERVICE} is missing from package ${PACKAGE}`];
  const problems: string[] = [];
  for (const [name, expected] of Object.entries(RPCS)) {
    const method = service[name];
    if (!method) {
      problems.push(`rpc ${name} is missing`);
      continue;
    }
    const mode = (streaming: boolean) => (streaming ? 'a stream' : 'one message');
    if (method.requestStream) problems.push(`${name} takes a stream; it should take one ${expected.request}`);
    if (method.responseStream !== expected.serverStreaming) {
      problems.push(
        `${name} returns ${mode(method.responseStream)}; it should return ${mode(expected.serverStreaming)} (${expected.serverStreaming ? `stream ${expected.response}` : expected.response})`,
      );
    }
    const requestName = (method.requestType as { type?: { name?: string } }).type?.name;
    const responseName = (method.responseType as { type?: { name?: string } }).type?.name;
    if (requestName !== expected.request) problems.push(`${name} takes ${requestName}; it should take ${expected.request}`);
    if (responseName !== expected.response) problems.push(`${name} returns ${responseName}; it should return ${expected.response}`);
  }
  return problems;
}
