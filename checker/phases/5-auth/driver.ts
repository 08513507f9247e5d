// Phase 5, run in the client host: the learner's bearerToken and fetchTask with a deadline.
import type * as grpc from '@grpc/grpc-js';
import type { ClientFunctions } from '../../../lib/client-demo.ts';
import { callUnary, statusName } from '../../../lib/client-runtime.ts';
import type { Scenarios } from '../../harness/host-protocol.ts';

export const scenarios: Scenarios = {
  /** args: address, token. ListTasks through a client built with the learner's bearerToken(token). */
  async auth({ client, args, report, settle }) {
    const functions = client as unknown as ClientFunctions;
    const interceptor = await settle(() => functions.bearerToken!(args.token as string));
    if (interceptor.kind !== 'value') return report('auth', interceptor);
    const stub = functions.createClient(args.address as string, { interceptors: [interceptor.value] });
    try {
      const outcome = await callUnary(stub, 'ListTasks', {}).then(
        () => 'OK',
        (error: grpc.ServiceError) => statusName(error.code),
      );
      report('auth', { kind: 'value', value: outcome });
    } finally {
      stub.close();
    }
  },

  /** args: address (a server that never answers GetTask), id, deadlineMs. fetchTask with a deadline, timed. */
  async deadline({ client, args, report, settle }) {
    const functions = client as unknown as ClientFunctions;
    const stub = functions.createClient(args.address as string);
    try {
      const started = performance.now();
      const result = await settle(() => functions.fetchTask(stub, args.id as string, args.deadlineMs as number));
      report('deadline', { result, elapsedMs: Math.round(performance.now() - started) });
    } finally {
      stub.close();
    }
  },
};
