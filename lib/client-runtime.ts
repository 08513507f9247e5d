// Client-side helpers shared by exercises/client.ts, solutions/client.ts, the checker and tests.
import * as grpc from '@grpc/grpc-js';
import { loadTaskManagerProto, type Task, type TaskManagerClient } from './proto.ts';

export type { Task, TaskEvent, TaskManagerClient } from './proto.ts';
export { TodoHumanError } from './todo.ts';

/** How long a demo call may take before the client gives up with DEADLINE_EXCEEDED. */
export const DEFAULT_DEADLINE_MS = 5000;

/** What fetchTask returns: the task, or the status code and details of the failure. */
export type FetchResult = { ok: true; task: Task } | { ok: false; code: grpc.status; details: string };

/** A client for the TaskManager service at `address` ("host:port"), without TLS. */
export function createTaskManagerClient(address: string, options: grpc.ChannelOptions = {}): TaskManagerClient {
  const { taskmanager } = loadTaskManagerProto();
  return new taskmanager.TaskManager(address, grpc.credentials.createInsecure(), options);
}

/** A deadline `ms` milliseconds from now, for CallOptions.deadline. */
export function deadlineAfter(ms: number): Date {
  return new Date(Date.now() + ms);
}

export type UnaryMethod = 'CreateTask' | 'GetTask' | 'UpdateTask' | 'DeleteTask' | 'ListTasks';
export type RequestOf<M extends UnaryMethod> = Parameters<TaskManagerClient[M]>[0];
export type ResponseOf<M extends UnaryMethod> =
  Parameters<TaskManagerClient[M]> extends [unknown, grpc.requestCallback<infer Response>] ? Response : never;

/**
 * Calls a unary RPC and returns a Promise instead of taking a callback.
 * A failed call rejects with a grpc.ServiceError (with .code and .details).
 * `metadata` travels with the call (e.g. an authorization token, Phase 5).
 */
export function callUnary<M extends UnaryMethod>(
  client: TaskManagerClient,
  method: M,
  request: RequestOf<M>,
  options: grpc.CallOptions = { deadline: deadlineAfter(DEFAULT_DEADLINE_MS) },
  metadata: grpc.Metadata = new grpc.Metadata(),
): Promise<ResponseOf<M>> {
  return new Promise((resolve, reject) => {
    const invoke = client[method] as (
      request: RequestOf<M>,
      metadata: grpc.Metadata,
      options: grpc.CallOptions,
      callback: grpc.requestCallback<ResponseOf<M>>,
    ) => grpc.ClientUnaryCall;
    invoke.call(client, request, metadata, options, (error, response) => (error ? reject(error) : resolve(response!)));
  });
}

/** True for the error a failed gRPC call produces (it carries a status code). */
export function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number';
}

/** The name of a status code: 5 → "NOT_FOUND". */
export function statusName(code: grpc.status): string {
  return grpc.status[code] ?? `status ${code}`;
}
