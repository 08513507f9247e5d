// The same tasks as protobuf (what gRPC sends) and as JSON (what the REST twin
// sends): encoded size, and the time to encode and decode them in this process.
// Both sides use the real code: the serializers grpc-js itself calls for GetTask
// and ListTasks answers, and the REST twin's own body functions. Bytes in,
// objects out, on both sides: JSON is turned into UTF-8 bytes and back, as on the wire.
import { loadTaskManagerProto, type Task } from '../lib/proto.ts';
import { TaskStore } from '../lib/store.ts';
import { TYPICAL_NEW_TASK } from './requests.ts';
import { encodeTaskBody, encodeTaskListBody } from './rest-server.ts';
import type { EncodingCell } from './results.ts';
import { median, round } from './stats.ts';

export const ENCODED_LIST_SIZES = [100, 1000];

export interface CodecPlan {
  /** Each figure is the median of this many batches... */
  batches: number;
  /** ...each of about this many milliseconds. */
  batchMs: number;
}

interface Codec {
  encode(): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

/** Tasks as the store makes them (an id, two timestamps), with a little variety. */
export function sampleTasks(count: number): Task[] {
  const store = new TaskStore();
  return Array.from({ length: count }, (_, index) =>
    store.create({
      title: count === 1 ? TYPICAL_NEW_TASK.title : `${TYPICAL_NEW_TASK.title} #${index + 1}`,
      description: TYPICAL_NEW_TASK.description,
      tags: index % 3 === 2 ? ['work'] : TYPICAL_NEW_TASK.tags,
    }),
  );
}

export function measureEncoding(plan: CodecPlan): EncodingCell[] {
  const { GetTask, ListTasks } = loadTaskManagerProto().taskmanager.TaskManager.service;
  const [task] = sampleTasks(1) as [Task];
  const fromJson = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  const cells = [
    compare('one task (GetTask answer / GET /tasks/:id body)', 1, plan, {
      protobuf: { encode: () => GetTask.responseSerialize({ task }), decode: (bytes) => GetTask.responseDeserialize(Buffer.from(bytes)) },
      json: { encode: () => Buffer.from(encodeTaskBody(task)), decode: fromJson },
    }),
  ];
  for (const count of ENCODED_LIST_SIZES) {
    const tasks = sampleTasks(count);
    cells.push(
      compare(`${count.toLocaleString('en-US')}-task list (ListTasks answer / GET /tasks body)`, count, plan, {
        protobuf: {
          encode: () => ListTasks.responseSerialize({ tasks }),
          decode: (bytes) => ListTasks.responseDeserialize(Buffer.from(bytes)),
        },
        json: { encode: () => Buffer.from(encodeTaskListBody(tasks)), decode: fromJson },
      }),
    );
  }
  return cells;
}

function compare(what: string, tasks: number, plan: CodecPlan, { protobuf, json }: { protobuf: Codec; json: Codec }): EncodingCell {
  const protobufBytes = protobuf.encode();
  const jsonBytes = json.encode();
  return {
    what,
    tasks,
    protobufBytes: protobufBytes.length,
    jsonBytes: jsonBytes.length,
    jsonToProtobufRatio: round(jsonBytes.length / protobufBytes.length),
    microsPerMessage: {
      protobufEncode: round(microsPerCall(protobuf.encode, plan)),
      protobufDecode: round(microsPerCall(() => protobuf.decode(protobufBytes), plan)),
      jsonEncode: round(microsPerCall(json.encode, plan)),
      jsonDecode: round(microsPerCall(() => json.decode(jsonBytes), plan)),
    },
  };
}

/** Keeps results alive, so the engine cannot skip the work. */
let sink: unknown;

/**
 * Microseconds per call of `work`: a warm-up of about three batches (the JIT
 * compiles `work`, and the calls counted size the batches), then the median
 * over `plan.batches` batches of about `plan.batchMs` each.
 */
export function microsPerCall(work: () => unknown, { batches, batchMs }: CodecPlan): number {
  let warmUpCalls = 0;
  const warmUpStarted = performance.now();
  while (performance.now() - warmUpStarted < 3 * batchMs || warmUpCalls < 3) {
    sink = work();
    warmUpCalls += 1;
  }
  const perBatch = Math.max(1, Math.round(warmUpCalls / 3));
  const perCall: number[] = [];
  for (let batch = 0; batch < batches; batch++) {
    const started = performance.now();
    for (let i = 0; i < perBatch; i++) sink = work();
    perCall.push(((performance.now() - started) * 1000) / perBatch);
  }
  void sink;
  return median(perCall);
}
