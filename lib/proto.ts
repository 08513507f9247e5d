// Where the proto is, and the one definition of how it is loaded (LOADER_OPTIONS):
// the server and client files pass it to protoLoader.loadSync, and the code
// generator (scripts/generate.ts) derives its flags from it, so the generated
// types always describe the objects the loader really produces.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/task_manager.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PROTO_FILE = fileURLToPath(new URL('../protos/task_manager.proto', import.meta.url));
export const GENERATED_DIR = fileURLToPath(new URL('./generated', import.meta.url));

export const LOADER_OPTIONS = {
  keepCase: true, // field names stay as in the proto: created_at, event_type
  longs: String,
  enums: String, // enum values arrive as names: 'TASK_STATUS_TODO'
  defaults: true, // absent scalar fields arrive as their default ('' , [], ...)
  oneofs: true, // a oneof gets a virtual field naming the member that is set
} satisfies protoLoader.Options;

/** The command-line flags of proto-loader-gen-types that match LOADER_OPTIONS. */
export function generatorFlags(): string[] {
  return Object.entries(LOADER_OPTIONS).map(([name, value]) => (typeof value === 'function' ? `--${name}=${value.name}` : `--${name}`));
}

let definition: protoLoader.PackageDefinition | undefined;
let loaded: ProtoGrpcType | undefined;

/** The parsed proto as proto-loader describes it (for the workbook's tools). */
export function taskManagerPackageDefinition(): protoLoader.PackageDefinition {
  definition ??= protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS);
  return definition;
}

/** The TaskManager package, typed by the generated ProtoGrpcType (for the workbook's tools). */
export function loadTaskManagerProto(): ProtoGrpcType {
  loaded ??= grpc.loadPackageDefinition(taskManagerPackageDefinition()) as unknown as ProtoGrpcType;
  return loaded;
}

// Short names for the generated types used across the project.
// "__Output" types are what a reader receives: every field present (a server
// reads each message of a request stream, Phase 6, in that form).
export type { ProtoGrpcType } from './generated/task_manager.ts';
export type { CreateTaskRequest } from './generated/taskmanager/CreateTaskRequest.ts';
export type { ImportTasksRequest__Output } from './generated/taskmanager/ImportTasksRequest.ts';
export type { ImportTasksResponse__Output as ImportTasksResponse } from './generated/taskmanager/ImportTasksResponse.ts';
export type { ListTasksRequest } from './generated/taskmanager/ListTasksRequest.ts';
export type { SyncTasksRequest, SyncTasksRequest__Output } from './generated/taskmanager/SyncTasksRequest.ts';
export type { SyncTasksResponse__Output as SyncTasksResponse } from './generated/taskmanager/SyncTasksResponse.ts';
export type { Task__Output as Task } from './generated/taskmanager/Task.ts';
export type { TaskEvent__Output as TaskEvent } from './generated/taskmanager/TaskEvent.ts';
export type { TaskEventType__Output as TaskEventType } from './generated/taskmanager/TaskEventType.ts';
export type { TaskManagerClient, TaskManagerHandlers } from './generated/taskmanager/TaskManager.ts';
export type { TaskStatus__Output as TaskStatus } from './generated/taskmanager/TaskStatus.ts';
export type { UpdateTaskRequest } from './generated/taskmanager/UpdateTaskRequest.ts';
