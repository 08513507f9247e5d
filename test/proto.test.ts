// The proto against the contract in checker/contract.ts (the names and numbers
// fixed for wire compatibility with the practice's Python service), and the
// generated types that must describe it. The checker's phase 1 fixtures prove
// that each contract check catches a breach.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENUMS, FIELDS, ProtoDescription, RPCS, enumProblems, fieldProblems, serviceProblems, teachingProblems } from '../checker/contract.ts';
import { PROTO_FILE, generatorFlags } from '../lib/proto.ts';
import { staleGeneratedFiles } from '../scripts/generate.ts';

const proto = new ProtoDescription(PROTO_FILE);

describe('proto contract (wire compatibility with the practice)', () => {
  it('lists the fixed facts of the practice', () => {
    assert.deepEqual(Object.keys(ENUMS), ['TaskStatus', 'TaskEventType']);
    assert.deepEqual(FIELDS.Task!.created_at, [5, 'string']);
    assert.deepEqual(FIELDS.TaskEvent, { event_type: [1, 'TaskEventType'], task: [2, 'Task'] });
    assert.deepEqual(Object.keys(RPCS), ['CreateTask', 'GetTask', 'UpdateTask', 'DeleteTask', 'ListTasks', 'WatchTasks']);
  });

  it('keeps the enums and their numbers', () => assert.deepEqual(enumProblems(proto), []));
  it('keeps every fixed field number and type', () => assert.deepEqual(fieldProblems(proto), []));
  it('teaches repeated, optional and oneof', () => assert.deepEqual(teachingProblems(proto), []));
  it('keeps the RPCs and their streaming modes', () => assert.deepEqual(serviceProblems(proto), []));

  it('optional fields keep "sent empty" apart from "not sent" on the wire', () => {
    assert.equal(proto.roundTrip('UpdateTask', { id: 'a' }).title, undefined);
    assert.equal(proto.roundTrip('UpdateTask', { id: 'a', title: '' }).title, '');
    assert.deepEqual(proto.roundTrip('ListTasks', {}), {});
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
