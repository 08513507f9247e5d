// Encoded size of the same data as protobuf (what gRPC sends) and as JSON (what the REST twin sends).
// Both sides use the real encoders: the serializers grpc-js itself calls for
// GetTask and ListTasks responses, and the REST twin's own body functions.
import { loadTaskManagerProto, type Task } from '../lib/proto.ts';
import { TaskStore } from '../lib/store.ts';
import { encodeTaskBody, encodeTaskListBody } from './rest-server.ts';
import type { SizeComparison } from './results.ts';
import { round } from './stats.ts';

/** What a task usually looks like: a UUID, a short title and sentence, two tags, two timestamps. */
export const TYPICAL_NEW_TASK = {
  title: 'Prepare the sprint review',
  description: 'Collect the demo notes and book a room for Friday afternoon.',
  tags: ['work', 'meetings'],
};

export function measureSizes(): { oneTask: SizeComparison; hundredTasks: SizeComparison } {
  const store = new TaskStore();
  const typical = store.create(TYPICAL_NEW_TASK);
  const hundred = Array.from({ length: 100 }, (_, index) => variantOfTypical(store, index));
  const { GetTask, ListTasks } = loadTaskManagerProto().taskmanager.TaskManager.service;
  return {
    oneTask: compare(
      'one typical task (GetTask response / GET /tasks/:id body)',
      GetTask.responseSerialize({ task: typical }).length,
      Buffer.byteLength(encodeTaskBody(typical)),
    ),
    hundredTasks: compare(
      '100-task list (ListTasks response / GET /tasks body)',
      ListTasks.responseSerialize({ tasks: hundred }).length,
      Buffer.byteLength(encodeTaskListBody(hundred)),
    ),
  };
}

function variantOfTypical(store: TaskStore, index: number): Task {
  return store.create({
    title: `${TYPICAL_NEW_TASK.title} #${index + 1}`,
    description: TYPICAL_NEW_TASK.description,
    tags: index % 3 === 0 ? ['work'] : TYPICAL_NEW_TASK.tags,
  });
}

function compare(what: string, protobufBytes: number, jsonBytes: number): SizeComparison {
  return { what, protobufBytes, jsonBytes, jsonToProtobufRatio: round(jsonBytes / protobufBytes) };
}
