// Client-side helpers. exercises/client.ts and solutions/client.ts use
// isServiceError and FetchResult; the rest serves the workbook's own tools (the
// grader, the bench, the tests), which call the service without learner code.
// A learner writes these calls in client.ts: nothing here stands in for them.
import * as grpc from '@grpc/grpc-js';
import { loadTaskManagerProto, type Task, type TaskManagerClient } from './proto.ts';

export type { Task, TaskEvent, TaskManagerClient } from './proto.ts';
export { TodoHumanError } from './todo.ts';

/** The deadline of the tools' calls (callUnary) unless they give another. */
export const DEFAULT_DEADLINE_MS = 5000;

/** What fetchTask returns: the task, or the status code and details of the failure. */
export type FetchResult = { ok: true; task: Task } | { ok: false; code: grpc.status; details: string };

/** A client for the TaskManager service at `address` ("host:port"), without TLS (for the tools). */
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
 * Calls a unary RPC and returns a Promise instead of taking a callback (for the
 * tools: every call has a deadline, DEFAULT_DEADLINE_MS unless `options` says otherwise).
 * A failed call rejects with a grpc.ServiceError (with .code and .details).
 * `metadata` travels with the call (e.g. an authorization token, Phase 5).
 */
export function callUnary<M extends UnaryMethod>(
  client: TaskManagerClient,
  method: M,
  request: RequestOf<M>,
  options: grpc.CallOptions = { deadline: deadlineAfter(DEFAULT_DEADLINE_MS) },
  metadata: grpc.Metadata = new grpc.Metadata(),
  /** Aborting cancels the call (it then rejects with CANCELLED). */
  signal?: AbortSignal,
): Promise<ResponseOf<M>> {
  return new Promise((resolve, reject) => {
    const invoke = client[method] as (
      request: RequestOf<M>,
      metadata: grpc.Metadata,
      options: grpc.CallOptions,
      callback: grpc.requestCallback<ResponseOf<M>>,
    ) => grpc.ClientUnaryCall;
    const call = invoke.call(client, request, metadata, options, (error, response) => (error ? reject(error) : resolve(response!)));
    signal?.addEventListener('abort', () => call.cancel(), { once: true });
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
