// The proto against the contract in checker/contract.ts (the names and numbers
// fixed for wire compatibility with the practice's Python service), and the
// generated types that must describe it. The checker's phase 1 fixtures prove
// that each contract check catches a breach.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  ENUMS,
  enumProblems,
  FIELDS,
  fieldProblems,
  ProtoDescription,
  RPCS,
  serviceProblems,
  teachingProblems,
} from '../checker/phases/1-proto/contract.ts';
import { staleGeneratedFiles } from '../lib/codegen.ts';
import { generatorFlags, PROTO_FILE, REPO_ROOT } from '../lib/proto.ts';

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

describe('buf breaking (field numbers are the contract)', () => {
  const buf = createRequire(import.meta.url).resolve('@bufbuild/buf/bin/buf'); // a Node shim: portable
  const baseline = path.join(REPO_ROOT, 'protos/baseline.binpb');

  /** buf breaking on a copy of the module whose proto went through `change`. */
  function breaking(change: (proto: string) => string) {
    const dir = mkdtempSync(path.join(tmpdir(), 'buf-breaking-'));
    try {
      copyFileSync(path.join(REPO_ROOT, 'buf.yaml'), path.join(dir, 'buf.yaml'));
      mkdirSync(path.join(dir, 'protos'));
      writeFileSync(path.join(dir, 'protos/task_manager.proto'), change(readFileSync(PROTO_FILE, 'utf8')));
      return spawnSync(process.execPath, [buf, 'breaking', dir, '--against', baseline], { encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('passes for the proto as it is', () => {
    const result = breaking((proto) => proto);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  it('catches a renumbered field (PHASES.md, Phase 1, step 4)', () => {
    const result = breaking((proto) => proto.replace('string title = 1;', 'string title = 9;'));
    assert.notEqual(result.status, 0);
    assert.match(result.stdout, /Previously present field "1" with name "title" on message "CreateTaskRequest" was deleted/);
    // PHASES.md quotes buf's line as a learner sees it: keep the quote true (line numbers move with the proto).
    const line = result.stdout.split('\n').find((text) => text.includes('Previously present field "1"'))!;
    const quoted = line.replace(/^.*?protos\//, 'protos/');
    assert.ok(
      readFileSync(path.join(REPO_ROOT, 'PHASES.md'), 'utf8').includes(quoted),
      `PHASES.md, Phase 1, step 4 should quote:\n${quoted}`,
    );
  });

  it('allows a renamed field: names are not on the wire', () => {
    const result = breaking((proto) =>
      proto.replace('string description = 2;\n  repeated string tags = 3;', 'string details = 2;\n  repeated string tags = 3;'),
    );
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });
});
