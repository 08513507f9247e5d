// Phase 5: bearer-token authentication, switched on by an environment variable
// so that Phases 2 to 4 run without it.
import { createHash, timingSafeEqual } from 'node:crypto';

export const TOKEN_ENV = 'TASKMANAGER_TOKEN';

/** The metadata key a client puts its token under (gRPC metadata keys are lower case). */
export const AUTHORIZATION_KEY = 'authorization';

/** The token clients must send, or undefined when authentication is off. */
export function expectedToken(): string | undefined {
  const token = process.env[TOKEN_ENV];
  return token === undefined || token === '' ? undefined : token;
}

/** Only TaskManager's own methods need a token; health and reflection stay open. */
export function needsToken(methodPath: string): boolean {
  return methodPath.startsWith('/taskmanager.TaskManager/');
}

/**
 * True when the metadata value `sent` is exactly `Bearer <token>`. Compared in
 * constant time (digests of equal length, no early exit at the first
 * difference), so response times do not leak how much of a guess was right.
 */
export function isBearerToken(sent: string | Buffer | undefined, token: string): boolean {
  if (typeof sent !== 'string') return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(sent), digest(`Bearer ${token}`));
}
