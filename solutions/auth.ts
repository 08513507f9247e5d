// Reference solution: a server interceptor that lets a TaskManager call through
// only with `authorization: Bearer <token>` metadata (PHASES.md, Phase 5).
import * as grpc from '@grpc/grpc-js';
import { AUTHORIZATION_KEY, expectedToken, isBearerToken, needsToken } from '#lib/auth.ts';

export const authInterceptor: grpc.ServerInterceptor = (methodDescriptor, call) => {
  const token = expectedToken();
  if (token === undefined || !needsToken(methodDescriptor.path)) return new grpc.ServerInterceptingCall(call);

  return new grpc.ServerInterceptingCall(call, {
    start(next) {
      next({
        // The client's metadata arrives first, before any request message.
        onReceiveMetadata(metadata, nextMetadata) {
          const [sent] = metadata.get(AUTHORIZATION_KEY);
          if (isBearerToken(sent, token)) return nextMetadata(metadata);
          // Answer here and never pass the call on: the handler does not run.
          call.sendStatus({
            code: grpc.status.UNAUTHENTICATED,
            details: sent === undefined ? 'authorization: send "Bearer <token>" metadata' : 'authorization: the bearer token is not valid',
          });
        },
      });
    },
  });
};
