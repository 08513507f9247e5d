// The requests the bench sends, as bytes, in one place: the load threads, h2load
// and the checks before and after a measurement all send exactly these.
//
// A gRPC request over HTTP/2 is a POST to /package.Service/Method with
// content-type application/grpc and `te: trailers`; its body is one frame:
// 1 byte 0 (not compressed), a 4-byte big-endian length, then the protobuf message.
import { loadTaskManagerProto } from '../lib/proto.ts';

/** What a task usually looks like: a short title and sentence, two tags (the server adds an id and two timestamps). */
export const TYPICAL_NEW_TASK: NewTask = {
  title: 'Prepare the sprint review',
  description: 'Collect the demo notes and book a room for Friday afternoon.',
  tags: ['work', 'meetings'],
};

export const GRPC_SERVICE_PATH = '/taskmanager.TaskManager';
export const GRPC_HEADERS = { 'content-type': 'application/grpc', te: 'trailers' } as const;
const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** One request, ready to send any number of times. Plain data: it crosses to the load threads as is. */
export interface WireRequest {
  protocol: 'grpc' | 'rest';
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** null for a request without a body (REST GET). */
  body: Uint8Array | null;
}

/** A protobuf message in a gRPC frame: flag byte 0, 4-byte big-endian length, message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** The messages in a gRPC body (frames back to back); throws on a truncated or compressed frame. */
export function grpcUnframe(body: Uint8Array): Buffer[] {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const messages: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    if (bytes.length - at < 5) throw new Error('truncated gRPC frame header');
    if (bytes[at] !== 0) throw new Error('compressed gRPC frame (not expected here)');
    const length = bytes.readUInt32BE(at + 1);
    if (bytes.length - at - 5 < length) throw new Error('truncated gRPC message');
    messages.push(bytes.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  return messages;
}

const service = () => loadTaskManagerProto().taskmanager.TaskManager.service;

function grpcRequest(method: string, message: Buffer): WireRequest {
  return {
    protocol: 'grpc',
    method: 'POST',
    path: `${GRPC_SERVICE_PATH}/${method}`,
    headers: { ...GRPC_HEADERS },
    body: grpcFrame(message),
  };
}

function restRequest(method: 'GET' | 'POST', path: string, json?: unknown): WireRequest {
  if (json === undefined) return { protocol: 'rest', method, path, headers: {}, body: null };
  return { protocol: 'rest', method, path, headers: { ...JSON_HEADERS }, body: Buffer.from(JSON.stringify(json)) };
}

export interface NewTask {
  title: string;
  description: string;
  tags: string[];
}

/** The same operation for both protocols: the gRPC method and the REST route of the twin (bench/rest-server.ts). */
export const REQUESTS = {
  create: {
    grpc: (task: NewTask = TYPICAL_NEW_TASK) => grpcRequest('CreateTask', service().CreateTask.requestSerialize(task)),
    rest: (task: NewTask = TYPICAL_NEW_TASK) => restRequest('POST', '/tasks', task),
  },
  get: {
    grpc: (id: string) => grpcRequest('GetTask', service().GetTask.requestSerialize({ id })),
    rest: (id: string) => restRequest('GET', `/tasks/${encodeURIComponent(id)}`),
  },
  listByTag: {
    grpc: (tag: string) => grpcRequest('ListTasks', service().ListTasks.requestSerialize({ tag })),
    rest: (tag: string) => restRequest('GET', `/tasks?tag=${encodeURIComponent(tag)}`),
  },
} as const;

/** The task id in a CreateTask answer (gRPC body) or a POST /tasks answer (JSON body); undefined if there is none. */
export function taskIdOfAnswer(protocol: WireRequest['protocol'], body: Uint8Array): string | undefined {
  try {
    if (protocol === 'rest') return (JSON.parse(Buffer.from(body).toString('utf8')) as { id?: string }).id || undefined;
    const [message] = grpcUnframe(body);
    return message ? service().CreateTask.responseDeserialize(message).task?.id || undefined : undefined;
  } catch {
    return undefined;
  }
}

/** How many tasks a ListTasks answer (gRPC body) or a GET /tasks answer (JSON body) holds; undefined if unreadable. */
export function taskCountOfList(protocol: WireRequest['protocol'], body: Uint8Array): number | undefined {
  try {
    if (protocol === 'rest') return (JSON.parse(Buffer.from(body).toString('utf8')) as { tasks?: unknown[] }).tasks?.length;
    const [message] = grpcUnframe(body);
    return message ? service().ListTasks.responseDeserialize(message).tasks.length : undefined;
  } catch {
    return undefined;
  }
}
