// `npm run describe`: what grpc-js builds from the proto at run time, next to the
// types generated for TypeScript. TaskManager.service (what server.addService
// takes) has one entry per RPC: its path on the wire, whether each side
// streams, and the functions that turn a message into bytes and back, which
// this shows on a sample request. Phase 1, step 3 of PHASES.md.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import pc from 'picocolors';
import { protoParseProblem, stopQuietlyWhenOutputCloses } from '../lib/cli.ts';
import { displayPath } from '../lib/display-path.ts';
import { GENERATED_DIR, LOADER_OPTIONS, PROTO_FILE, type ProtoGrpcType } from '../lib/proto.ts';

/** A request worth serializing for each RPC (the others are shown with an empty one). */
const SAMPLES: Record<string, object> = {
  CreateTask: { title: 'Write the proto', tags: ['phase-1'] },
  GetTask: { id: 'abc' },
  UpdateTask: { id: 'abc', status: 'TASK_STATUS_DONE' },
  ListTasks: { tag: 'phase-1' },
};

function main(): number {
  stopQuietlyWhenOutputCloses();
  if (process.argv.length > 2) {
    console.error(`npm run describe takes no arguments, got: ${process.argv.slice(2).join(' ')}`);
    return 2;
  }
  let packageDefinition: protoLoader.PackageDefinition;
  try {
    packageDefinition = protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS);
  } catch (error) {
    console.error(protoParseProblem(error, PROTO_FILE) ?? String(error));
    return 1;
  }
  const { taskmanager } = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;
  const service = taskmanager.TaskManager.service as unknown as grpc.ServiceDefinition;

  const kind = (requestStream: boolean, responseStream: boolean) =>
    requestStream && responseStream
      ? 'bidirectional streaming'
      : requestStream
        ? 'client streaming'
        : responseStream
          ? 'server streaming'
          : 'unary';
  const hex = (bytes: Buffer) => [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  const typeName = (type: unknown) => (type as { type?: { name?: string } } | undefined)?.type?.name ?? '?';

  console.log(pc.bold(`TaskManager.service: what server.addService() and the client class are built from (${displayPath(PROTO_FILE)})`));
  for (const [name, method] of Object.entries(service)) {
    const definition = method as grpc.MethodDefinition<object, object> & { requestType?: unknown; responseType?: unknown };
    const request = typeName(definition.requestType);
    const response = typeName(definition.responseType);
    console.log('');
    console.log(`${pc.cyan(name)}  ${pc.dim(kind(definition.requestStream, definition.responseStream))}`);
    console.log(`  path             ${definition.path}`);
    console.log(`  requestStream    ${definition.requestStream}   responseStream ${definition.responseStream}`);
    console.log(`  request          ${request}  (type: ${displayPath(path.join(GENERATED_DIR, 'taskmanager', `${request}.ts`))})`);
    console.log(`  response         ${response}  (type: ${displayPath(path.join(GENERATED_DIR, 'taskmanager', `${response}.ts`))})`);
    const sample = SAMPLES[name] ?? {};
    const bytes = definition.requestSerialize(sample);
    console.log(`  requestSerialize(${JSON.stringify(sample)})`);
    console.log(`                   → ${bytes.length} bytes: ${hex(bytes) || '(none: every field is at its default)'}`);
    console.log(`  requestDeserialize(those bytes) → ${JSON.stringify(definition.requestDeserialize(bytes))}`);
  }
  console.log('');
  console.log(
    pc.dim(
      'The bytes hold field numbers and values, never names: see PHASES.md, Phase 1. `npm run wire -- --demo` shows them on the wire.',
    ),
  );
  return 0;
}

process.exitCode = main();
