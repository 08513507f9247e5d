// Phases 3 and 4: the client side. `npm run client` runs the demo
// (lib/client-demo.ts), which calls the two functions below; `npm run watch`
// prints live events with your watchTasks. Check with `npm run check -- --phase 3` (and 4).
import type * as grpc from '@grpc/grpc-js';
import { isEntryPoint } from '../lib/cli.ts';
import { runClientCommand } from '../lib/client-demo.ts';
import { type FetchResult, type TaskEvent, type TaskManagerClient, TodoHumanError } from '../lib/client-runtime.ts';

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

export async function fetchTask(client: TaskManagerClient, id: string): Promise<FetchResult> {
  // TODO(human): Phase 4, step 4. Call GetTask and handle its failure.
  // - await callUnary(client, 'GetTask', { id }) (from ../lib/client-runtime.ts)
  //   resolves with { task }; return { ok: true, task }.
  // - A failed call rejects with a grpc.ServiceError: catch it and return
  //   { ok: false, code: error.code, details: error.details }.
  //   isServiceError(error) (also in client-runtime.ts) tells it from other errors.
  throw new TodoHumanError('fetchTask', 'Phase 4, step 4');
}

// Runs only when this file is the program (`npm run client`), not when the checker imports it.
if (isEntryPoint(import.meta.url)) {
  await runClientCommand({ watchTasks, fetchTask });
}
