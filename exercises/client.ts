// Phases 3 to 5: the client side. `npm run client` runs the demo
// (lib/client-demo.ts), which calls the functions below; `npm run watch`
// prints live events with your watchTasks. Check with `npm run check -- --phase 3` (and 4, 5).
import * as grpc from '@grpc/grpc-js';
import { AUTHORIZATION_KEY } from '#lib/auth.ts';
import { isEntryPoint } from '#lib/cli.ts';
import { runClientCommand } from '#lib/client-demo.ts';
import {
  callUnary,
  DEFAULT_DEADLINE_MS,
  deadlineAfter,
  type FetchResult,
  isServiceError,
  type TaskEvent,
  type TaskManagerClient,
  TodoHumanError,
} from '#lib/client-runtime.ts';

export function watchTasks(client: TaskManagerClient, onEvent: (event: TaskEvent) => void): grpc.ClientReadableStream<TaskEvent> {
  // TODO(human): Phase 3, step 2. Consume the server stream.
  // - const stream = client.WatchTasks({}) opens the call and returns a stream.
  // - stream.on('data', onEvent) hands every TaskEvent to onEvent as it arrives.
  // - stream.on('error', ...) receives a grpc.ServiceError when the stream fails.
  //   Code CANCELLED means we called stream.cancel() ourselves: stay quiet then;
  //   print any other code and its details.
  // - Return the stream, so the caller can stream.cancel() when done.
  throw new TodoHumanError('watchTasks', 'Phase 3, step 2');
}

export async function fetchTask(client: TaskManagerClient, id: string, deadlineMs = DEFAULT_DEADLINE_MS): Promise<FetchResult> {
  // TODO(human): Phase 4, step 4. Call GetTask and handle its failure.
  // - await callUnary(client, 'GetTask', { id }) resolves with { task };
  //   return { ok: true, task }.
  // - A failed call rejects with a grpc.ServiceError: catch it and return
  //   { ok: false, code: error.code, details: error.details }.
  //   isServiceError(error) tells it from other errors (re-throw those).
  // TODO(human): Phase 5, step 4 (bonus). Give the call a deadline: pass
  //   { deadline: deadlineAfter(deadlineMs) } as the fourth argument of callUnary.
  throw new TodoHumanError('fetchTask', 'Phase 4, step 4');
}

export function bearerToken(token: string): grpc.Interceptor {
  // TODO(human): Phase 5, step 3 (bonus). A client interceptor that adds the
  // token to every call's metadata:
  //   return (options, nextCall) =>
  //     new grpc.InterceptingCall(nextCall(options), {
  //       start(metadata, listener, next) { /* metadata.set(AUTHORIZATION_KEY, `Bearer ${token}`) */ next(metadata, listener); },
  //     });
  throw new TodoHumanError('bearerToken', 'Phase 5, step 3');
}

// Runs only when this file is the program (`npm run client`), not when the checker imports it.
if (isEntryPoint(import.meta.url)) {
  await runClientCommand({ watchTasks, fetchTask, bearerToken });
}
