// Phase 4: a server interceptor that logs one line per RPC. Follow PHASES.md;
// check your work with `npm run check -- --phase 4`.
//
// An interceptor wraps every call, like middleware: grpc-js calls it with the
// method being called and the call, and it returns a ServerInterceptingCall
// that may watch or change what flows through. This one only watches.
import * as grpc from '@grpc/grpc-js';
import { formatRpcLogLine } from '#lib/rpc-log.ts';

export const loggingInterceptor: grpc.ServerInterceptor = (methodDescriptor, call) => {
  // TODO(human): Phase 4, steps 1 and 2. Print exactly one line per RPC with
  //   console.log(formatRpcLogLine({ method, status, durationMs, startedAt }))
  // - method: methodDescriptor.path, e.g. "/taskmanager.TaskManager/GetTask".
  // - startedAt: new Date() taken now; durationMs: measure with performance.now().
  // - status: the final code. Pass a second argument to ServerInterceptingCall,
  //   a responder { sendStatus(status, next) { ...; next(status); } }:
  //   status.code is the code the handler answered with.
  // - A call the client cancels never reaches sendStatus. Catch it with
  //   start(next) { next({ onCancel() { ... } }) } and log grpc.status.CANCELLED.
  //   onCancel also runs after a normal end, so make sure you log only once.
  return new grpc.ServerInterceptingCall(call);
};
