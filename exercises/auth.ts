// Phase 5 (bonus): authentication with a bearer token. Follow PHASES.md;
// check your work with `npm run check -- --phase 5`.
//
// Authentication is on only when the server runs with TASKMANAGER_TOKEN set:
//   TASKMANAGER_TOKEN=let-me-in npm run server      (PowerShell: $env:TASKMANAGER_TOKEN="let-me-in")
// A client then sends metadata `authorization: Bearer let-me-in` with each call.
import * as grpc from '@grpc/grpc-js';
import { AUTHORIZATION_KEY, expectedToken, isBearerToken, needsToken } from '#lib/auth.ts';

export const authInterceptor: grpc.ServerInterceptor = (methodDescriptor, call) => {
  // TODO(human): Phase 5, step 1.
  // - const token = expectedToken(): undefined means authentication is off; then,
  //   and for methods where needsToken(methodDescriptor.path) is false (health,
  //   reflection), just return new grpc.ServerInterceptingCall(call).
  // - Otherwise pass a responder whose start(next) gives a listener with
  //   onReceiveMetadata(metadata, nextMetadata):
  //     const [sent] = metadata.get(AUTHORIZATION_KEY) is what the client sent.
  //     isBearerToken(sent, token): call nextMetadata(metadata) to let the call through.
  //     Otherwise: call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details })
  //     and do NOT call nextMetadata, so the handler never runs.
  return new grpc.ServerInterceptingCall(call);
};
