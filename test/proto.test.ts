// The proto contract (fixed for wire compatibility with the practice's Python
// service) and the generated types that must describe it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_FILE, generatorFlags } from '../lib/proto.ts';
import { staleGeneratedFiles } from '../scripts/generate.ts';

const definition = protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS);

interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
}

function fields(message: string): Map<string, FieldDescriptor> {
  const type = (definition[`taskmanager.${message}`] as protoLoader.MessageTypeDefinition<object, object>).type as { field: FieldDescriptor[] };
  return new Map(type.field.map((field) => [field.name, field]));
}

function assertFields(message: string, expected: Record<string, [number, string]>): void {
  const actual = fields(message);
  for (const [name, [number, type]] of Object.entries(expected)) {
    const field = actual.get(name);
    assert.ok(field, `${message}.${name} exists`);
    assert.equal(field.number, number, `${message}.${name} is field ${number}`);
    const actualType = field.type === 'TYPE_ENUM' || field.type === 'TYPE_MESSAGE' ? field.typeName : field.type;
    assert.equal(actualType, type, `${message}.${name} has type ${type}`);
  }
}

function enumValues(name: string): Record<string, number> {
  const type = (definition[`taskmanager.${name}`] as protoLoader.EnumTypeDefinition).type as { value: Array<{ name: string; number: number }> };
  return Object.fromEntries(type.value.map((value) => [value.name, value.number]));
}

describe('proto contract (wire compatibility with the practice)', () => {
  it('keeps the package, enums and their numbers', () => {
    assert.deepEqual(enumValues('TaskStatus'), {
      TASK_STATUS_UNSPECIFIED: 0,
      TASK_STATUS_TODO: 1,
      TASK_STATUS_IN_PROGRESS: 2,
      TASK_STATUS_DONE: 3,
    });
    assert.deepEqual(enumValues('TaskEventType'), {
      TASK_EVENT_TYPE_UNSPECIFIED: 0,
      TASK_EVENT_TYPE_CREATED: 1,
      TASK_EVENT_TYPE_UPDATED: 2,
      TASK_EVENT_TYPE_DELETED: 3,
    });
  });

  it('keeps every fixed field number and type', () => {
    const S = 'TYPE_STRING';
    assertFields('Task', { id: [1, S], title: [2, S], description: [3, S], status: [4, 'TaskStatus'], created_at: [5, S], updated_at: [6, S] });
    assertFields('CreateTaskRequest', { title: [1, S], description: [2, S] });
    assertFields('GetTaskRequest', { id: [1, S] });
    assertFields('DeleteTaskRequest', { id: [1, S] });
    assertFields('UpdateTaskRequest', { id: [1, S], title: [2, S], description: [3, S], status: [4, 'TaskStatus'] });
    for (const response of ['CreateTaskResponse', 'GetTaskResponse', 'UpdateTaskResponse', 'DeleteTaskResponse']) {
      assertFields(response, { task: [1, 'Task'] });
    }
    assertFields('TaskEvent', { event_type: [1, 'TaskEventType'], task: [2, 'Task'] });
  });

  it('teaches repeated, optional and oneof', () => {
    assert.equal(fields('Task').get('tags')?.label, 'LABEL_REPEATED');
    assert.equal(fields('CreateTaskRequest').get('tags')?.label, 'LABEL_REPEATED');
    assert.equal(fields('ListTasksResponse').get('tasks')?.label, 'LABEL_REPEATED');
    // The descriptor proto-loader exposes drops proto3_optional, so check behaviour:
    // an optional field keeps "sent but empty" apart from "not sent".
    const service = definition['taskmanager.TaskManager'] as protoLoader.ServiceDefinition;
    const update = service.UpdateTask!;
    const roundTrip = (method: protoLoader.MethodDefinition<object, object>, request: object) =>
      method.requestDeserialize(method.requestSerialize(request)) as Record<string, unknown>;
    assert.equal(roundTrip(update, { id: 'a' }).title, undefined);
    assert.equal(roundTrip(update, { id: 'a', title: '' }).title, '');
    assert.equal(roundTrip(update, { id: 'a', description: '' }).description, '');
    // A oneof keeps one member and names it in the virtual `filter` field.
    const list = service.ListTasks!;
    assert.deepEqual(roundTrip(list, { tag: 'x' }), { tag: 'x', filter: 'tag' });
    assert.deepEqual(roundTrip(list, { status: 'TASK_STATUS_TODO' }), { status: 'TASK_STATUS_TODO', filter: 'status' });
    assert.deepEqual(roundTrip(list, {}), {});
  });

  it('keeps the RPCs and their streaming modes', () => {
    const service = definition['taskmanager.TaskManager'] as protoLoader.ServiceDefinition;
    const modes = Object.fromEntries(
      Object.entries(service).map(([name, method]) => [name, [method.path, method.requestStream, method.responseStream]]),
    );
    const unary = (name: string) => [`/taskmanager.TaskManager/${name}`, false, false];
    assert.deepEqual(modes, {
      CreateTask: unary('CreateTask'),
      GetTask: unary('GetTask'),
      UpdateTask: unary('UpdateTask'),
      DeleteTask: unary('DeleteTask'),
      ListTasks: unary('ListTasks'),
      WatchTasks: ['/taskmanager.TaskManager/WatchTasks', false, true],
    });
  });
});

describe('generated types', () => {
  it('come from the same options the loader uses', () => {
    assert.deepEqual(generatorFlags(), ['--keepCase', '--longs=String', '--enums=String', '--defaults', '--oneofs']);
  });

  it('are up to date with the proto (npm run generate)', () => {
    assert.deepEqual(staleGeneratedFiles(), []);
  });
});
