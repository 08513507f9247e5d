// Phase 4: a server interceptor that logs one line per RPC. Follow PHASES.md;
// check your work with `npm run check -- --phase 4`.
//
// An interceptor wraps every call, like middleware: grpc-js calls it with the
// method being called and the call, and it returns a ServerInterceptingCall
// that may watch or change what flows through. This one only watches.
import * as grpc from '@grpc/grpc-js';
import { deadlineHasPassed, logRpc } from '#lib/rpc-log.ts';

export const loggingInterceptor: grpc.ServerInterceptor = (methodDescriptor, call) => {
  // TODO(human): Phase 4, steps 1 and 2. Print exactly one line per RPC with
  //   logRpc({ method: methodDescriptor.path, status, durationMs, startedAt })
  // - startedAt: new Date() taken now; durationMs: performance.now() now and at the end.
  // - Step 1: pass a second argument to ServerInterceptingCall, a responder
  //   { sendStatus(status, next) { ...; next(status); } }: status.code is the
  //   code the handler answered with. Always call next(status).
  // - Step 2: calls that never reach sendStatus end in the listener's onCancel:
  //   start(next) { next({ onReceiveMessage(message, nextMessage) { ...; nextMessage(message); },
  //                         onCancel() { ... } }); }
  //   In onCancel: deadlineHasPassed(call.getDeadline()) → DEADLINE_EXCEEDED; the request had
  //   arrived (onReceiveMessage ran) → CANCELLED; otherwise 'UNSEEN'.
  //   onCancel also runs after every normal end: log only once.
  return new grpc.ServerInterceptingCall(call);
};
