// Reference solution: a server interceptor that logs one line per RPC (PHASES.md, Phase 4).
import * as grpc from '@grpc/grpc-js';
import { formatRpcLogLine } from '#lib/rpc-log.ts';

export const loggingInterceptor: grpc.ServerInterceptor = (methodDescriptor, call) => {
  const startedAt = new Date();
  const started = performance.now();
  let logged = false;

  function logOnce(status: grpc.status): void {
    if (logged) return;
    logged = true;
    const durationMs = performance.now() - started;
    console.log(formatRpcLogLine({ method: methodDescriptor.path, status, durationMs, startedAt }));
  }

  return new grpc.ServerInterceptingCall(call, {
    start(next) {
      next({
        // Runs when the call ends without a status from the handler: the client
        // cancelled, or the deadline passed. It also runs after a normal end,
        // which is why logOnce ignores a second call.
        onCancel() {
          const deadline = call.getDeadline();
          const expired = deadline instanceof Date ? deadline.getTime() <= Date.now() : deadline <= Date.now();
          logOnce(expired ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED);
        },
      });
    },
    // The final status of every call the handler answers passes through here.
    sendStatus(status, next) {
      logOnce(status.code ?? grpc.status.UNKNOWN);
      next(status);
    },
  });
};
