// Phase 1: the proto and the generated types.
import { generatedTypesMissing, staleGeneratedFiles } from '../../../lib/codegen.ts';
import { displayPath } from '../../../lib/display-path.ts';
import { CheckFailure, NotRun } from '../../harness/failures.ts';
import type { Harness } from '../../harness/harness.ts';
import type { Phase } from '../../harness/phase.ts';
import { enumProblems, fieldProblems, ProtoDescription, serviceProblems, teachingProblems } from './contract.ts';

/** The parsed proto, or the parser's error (parsed once per phase). */
function parse(harness: Harness): Promise<ProtoDescription | Error> {
  return harness.once('proto', async () => {
    try {
      return new ProtoDescription(harness.options.protoFile);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  });
}

async function proto(harness: Harness): Promise<ProtoDescription> {
  const result = await parse(harness);
  if (result instanceof Error) throw new NotRun('the proto does not parse (see the first check)');
  return result;
}

function failIfAny(problems: string[], expected: string, hint?: string): void {
  if (problems.length > 0) {
    throw new CheckFailure({ expected, received: problems.join('; '), hint });
  }
}

/** The proto's path for messages: relative inside the repo, absolute elsewhere. */
function protoName(harness: Harness): string {
  return displayPath(harness.options.protoFile);
}

const PROTO = 'protos/task_manager.proto';

export const phase: Phase = {
  number: 1,
  title: 'Proto and generated types',
  checks: [
    {
      name: 'The proto file parses',
      file: PROTO,
      proves: 'protos/task_manager.proto is valid proto3 that grpc-js can load',
      hint: 'read the parser message: it names the line; every field ends with `= N;` and every block with `}`',
      moreHint:
        'The Received line quotes the parser: it names the line (and often the column) in protos/task_manager.proto. Common slips: a field without its `;` (`string title = 2;`), a message or enum without its closing `}`, a misspelt type (`strng`). `npm run lint:proto` prints the same error as file:line:column, and `npm run check -- --watch` re-checks on every save',
      async run(harness) {
        const result = await parse(harness);
        if (result instanceof Error) {
          throw new CheckFailure({ expected: `${protoName(harness)} to parse`, received: result.message });
        }
      },
    },
    {
      name: 'The enums keep their names and numbers',
      file: PROTO,
      proves: 'TaskStatus and TaskEventType match the practice, so peers read the same values',
      hint: 'enum values travel as numbers: put back the number the Received line names (the contract: checker/phases/1-proto/contract.ts)',
      moreHint:
        'Only the numbers travel on the wire, so every peer must agree on them: `enum TaskStatus { TASK_STATUS_UNSPECIFIED = 0; TASK_STATUS_TODO = 1; ... }`. The Received line names each value that moved; put its number back. Value 0 stays the `_UNSPECIFIED` one: proto3 uses 0 when nothing was sent',
      async run(harness) {
        failIfAny(enumProblems(await proto(harness)), 'TaskStatus 0–3 and TaskEventType 0–3 as in the contract');
      },
    },
    {
      name: 'The messages keep their field numbers and types',
      file: PROTO,
      proves: 'every message is wire-compatible with the practice’s Python service',
      hint: 'fields travel as (number, value): renaming is safe, renumbering breaks every peer. Put the numbers back',
      moreHint:
        'Each field is `<type> <name> = <number>;`, and (number, type) is the contract, e.g. `string created_at = 5;` and `repeated string tags = 7;` in Task. The Received line names message.field and what it is now: restore that number and type. A new field takes a new, unused number; `npm run lint:proto` (buf breaking) lists every incompatible change against protos/baseline.binpb',
      async run(harness) {
        failIfAny(fieldProblems(await proto(harness)), 'the field numbers and types of the contract');
      },
    },
    {
      name: 'The proto uses repeated, optional and a oneof',
      file: PROTO,
      proves: 'the IDL features Phase 1 teaches are there: lists, presence and alternatives',
      hint: 'tags are `repeated string`; UpdateTaskRequest title/description are `optional string`; ListTasksRequest has `oneof filter { ... }`',
      moreHint:
        'Three shapes: `repeated string tags` in Task and CreateTaskRequest (a list); `optional string title = 2;` and `optional string description = 3;` in UpdateTaskRequest (presence: not sent differs from empty); and in ListTasksRequest `oneof filter { TaskStatus status = 1; string tag = 2; }`. Then `npm run generate`: ListTasksRequest gets `filter?: "status" | "tag"`',
      async run(harness) {
        failIfAny(teachingProblems(await proto(harness)), 'repeated tags, optional update fields and a oneof filter');
      },
    },
    {
      name: 'TaskManager has the practice’s six RPCs with the right streaming modes',
      file: PROTO,
      proves: 'five unary RPCs and WatchTasks as server streaming, with their request and response messages',
      hint: 'in `service TaskManager`, `rpc WatchTasks(WatchTasksRequest) returns (stream TaskEvent);` streams; the others do not',
      moreHint:
        'Each RPC is one line in `service TaskManager { ... }`: `rpc GetTask(GetTaskRequest) returns (GetTaskResponse);`. Only the response of WatchTasks is a stream: `returns (stream TaskEvent)`, with no `stream` before its request. The Received line names the RPC whose name, messages or streaming mode differ',
      async run(harness) {
        failIfAny(
          serviceProblems(await proto(harness)),
          'CreateTask, GetTask, UpdateTask, DeleteTask, ListTasks (unary) and WatchTasks (server streaming)',
        );
      },
    },
    {
      name: 'The generated types are up to date with the proto',
      file: 'lib/generated/',
      proves: 'lib/generated/ was generated from the proto as it is now, so the types you code against are true',
      hint: 'run `npm run generate` after every change to the proto',
      moreHint:
        'lib/generated/ is written by `npm run generate` (proto-loader-gen-types) and never edited by hand. Run it after every change to the proto, then check again (in watch mode press r). If it keeps failing, delete lib/generated/ and run `npm run generate` once more',
      async run(harness) {
        await proto(harness);
        if (generatedTypesMissing(harness.options.generatedDir)) {
          throw new CheckFailure({
            expected: 'the types generated from the proto in lib/generated/',
            received: 'no generated types at all: lib/generated/ is missing or empty',
            explanation: 'the types are made by `npm run generate` (npm ci runs it too); it has not run in this checkout',
            hint: 'run `npm run generate`, then check again',
          });
        }
        const stale = staleGeneratedFiles(harness.options.generatedDir, harness.options.protoFile);
        failIfAny(
          stale.length > 0
            ? [`${stale.length} file(s) differ from a fresh generation: ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', …' : ''}`]
            : [],
          'lib/generated/ to match what `npm run generate` produces',
        );
      },
    },
  ],
};
