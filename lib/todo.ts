// What an unfinished TODO(human) answers, so the skeletons run, never hang and say what is left.
import * as grpc from '@grpc/grpc-js';

/** The status an unimplemented handler sends: UNIMPLEMENTED, naming the step in PHASES.md. */
export function todoHuman(rpc: string, step: string): grpc.ServiceError {
  const details = `${rpc} is still a TODO(human): see PHASES.md, ${step}`;
  return Object.assign(new Error(`${grpc.status.UNIMPLEMENTED} UNIMPLEMENTED: ${details}`), {
    code: grpc.status.UNIMPLEMENTED,
    details,
    metadata: new grpc.Metadata(),
  });
}

/** Thrown by a client-side function that is still a TODO(human). */
export class TodoHumanError extends Error {
  constructor(
    readonly functionName: string,
    readonly step: string,
  ) {
    super(`${functionName}() is still a TODO(human): see PHASES.md, ${step}`);
    this.name = 'TodoHumanError';
  }
}
