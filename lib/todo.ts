// What an unfinished TODO(human) answers, so the skeletons run, never hang and say what is left.
import * as grpc from '@grpc/grpc-js';
import { todoMessage } from './protocol.ts';

/** The status an unfinished handler answers: UNIMPLEMENTED, naming the step in PHASES.md. */
export function todoHuman(rpc: string, step: string): grpc.StatusObject {
  return { code: grpc.status.UNIMPLEMENTED, details: todoMessage.format(rpc, step), metadata: new grpc.Metadata() };
}

/** Thrown by a client-side function that is still a TODO(human). */
export class TodoHumanError extends Error {
  constructor(
    readonly functionName: string,
    readonly step: string,
  ) {
    super(todoMessage.format(`${functionName}()`, step));
    this.name = 'TodoHumanError';
  }
}
