// Phase 5, run in the client host: the learner's bearerToken and fetchTask with a deadline.
import type * as grpc from '@grpc/grpc-js';
import { expectedToken } from '../../../lib/auth.ts';
import type { ClientFunctions } from '../../../lib/client-demo.ts';
import { callUnary, deadlineAfter, statusName } from '../../../lib/client-runtime.ts';
import type { Scenarios } from '../../harness/host-protocol.ts';
import { startInProcessServer } from '../../harness/in-process-server.ts';

/** The request of the 'authOff' scenario: a call the reference handlers answer OK. */
export const AUTH_OFF_REQUEST = { title: 'No token needed' };

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

  /**
   * The learner's authInterceptor in front of the reference handlers, in this
   * process, which runs without TASKMANAGER_TOKEN (authentication off): a
   * CreateTask without authorization metadata. Reports its status name.
   */
  async authOff({ load, report }) {
    if (expectedToken() !== undefined) throw new Error('the client host must run without TASKMANAGER_TOKEN');
    const { authInterceptor } = await load('auth.ts');
    if (typeof authInterceptor !== 'function') throw new Error('auth.ts does not export a function named authInterceptor');
    const server = await startInProcessServer({ interceptors: [authInterceptor as grpc.ServerInterceptor] });
    try {
      const outcome = await callUnary(server.client, 'CreateTask', AUTH_OFF_REQUEST, { deadline: deadlineAfter(2000) }).then(
        () => 'OK',
        (error: grpc.ServiceError) => `${statusName(error.code)}: ${error.details}`,
      );
      report('auth-off', { kind: 'value', value: outcome });
    } finally {
      await server.stop(100);
    }
  },
};
