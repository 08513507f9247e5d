// Reference solution: the client pieces of PHASES.md, Phases 3 to 5.
// The demo that uses them is lib/client-demo.ts: `npm run client` runs it.
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
} from '#lib/client-runtime.ts';

// Phase 3, step 2: open the WatchTasks stream and hand every event to onEvent.
export function watchTasks(client: TaskManagerClient, onEvent: (event: TaskEvent) => void): grpc.ClientReadableStream<TaskEvent> {
  const stream = client.WatchTasks({});
  stream.on('data', onEvent);
  stream.on('error', (error: grpc.ServiceError) => {
    // CANCELLED is us calling stream.cancel(): the normal way to stop watching.
    if (error.code !== grpc.status.CANCELLED) {
      console.error(`WatchTasks stream failed: ${grpc.status[error.code]}: ${error.details}`);
    }
  });
  return stream;
}

// Phase 4, step 4: GetTask, with a failure turned into its status code and details.
// Phase 5, step 4: give up after deadlineMs (the failure is then DEADLINE_EXCEEDED).
export async function fetchTask(client: TaskManagerClient, id: string, deadlineMs = DEFAULT_DEADLINE_MS): Promise<FetchResult> {
  try {
    const { task } = await callUnary(client, 'GetTask', { id }, { deadline: deadlineAfter(deadlineMs) });
    return { ok: true, task: task! };
  } catch (error) {
    if (isServiceError(error)) {
      return { ok: false, code: error.code, details: error.details };
    }
    throw error; // not a gRPC failure: a bug, let it surface
  }
}

// Phase 5, step 3: a client interceptor that puts the bearer token on every call.
export function bearerToken(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(AUTHORIZATION_KEY, `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

if (isEntryPoint(import.meta.url)) {
  await runClientCommand({ watchTasks, fetchTask, bearerToken });
}
