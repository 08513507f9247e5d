// Reference solution: a server interceptor that logs one line per RPC (PHASES.md, Phase 4).
import * as grpc from '@grpc/grpc-js';
import { deadlineHasPassed, logRpc } from '#lib/rpc-log.ts';

export const loggingInterceptor: grpc.ServerInterceptor = (methodDescriptor, call) => {
  const startedAt = new Date();
  const started = performance.now();
  let requestArrived = false;
  let logged = false;

  function logOnce(status: grpc.status | 'UNSEEN'): void {
    if (logged) return;
    logged = true;
    logRpc({ method: methodDescriptor.path, status, durationMs: performance.now() - started, startedAt });
  }

  return new grpc.ServerInterceptingCall(call, {
    // Phase 4, step 2: the calls that end without passing through sendStatus.
    start(next) {
      next({
        onReceiveMessage(message, nextMessage) {
          requestArrived = true;
          nextMessage(message);
        },
        // Also runs after every normal end: logOnce ignores that second time.
        onCancel() {
          if (deadlineHasPassed(call.getDeadline())) logOnce(grpc.status.DEADLINE_EXCEEDED);
          else logOnce(requestArrived ? grpc.status.CANCELLED : 'UNSEEN');
        },
      });
    },
    // Phase 4, step 1: the final status of every call a handler answers.
    sendStatus(status, next) {
      logOnce(status.code);
      next(status);
    },
  });
};
