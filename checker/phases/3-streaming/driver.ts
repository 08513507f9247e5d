// Phase 3, run in the client host: the learner's watchTasks against the
// reference server, and against a server whose stream fails.
import * as grpc from '@grpc/grpc-js';
import type { ClientFunctions } from '../../../lib/client-demo.ts';
import { loadTaskManagerProto, type TaskEvent } from '../../../lib/proto.ts';
import type { Scenarios } from '../../harness/host-protocol.ts';

/** How long the scenario waits for the three events, and for what follows a cancel. */
const WAIT_MS = 3000;
export const FAILED_STREAM_DETAILS = 'the grader ended this stream on purpose';

export const scenarios: Scenarios = {
  /**
   * args: address. Reports 'opened' (did watchTasks return a stream?), each
   * 'event', then cancels the stream once DELETED arrived and reports
   * 'after-cancel': what the learner's code printed after the cancel.
   */
  async watch({ client, args, report, settle, output }) {
    const functions = client as unknown as ClientFunctions;
    const stub = functions.createClient(args.address as string);
    let sawDeleted: () => void = () => {};
    const deleted = new Promise<void>((resolve) => (sawDeleted = resolve));
    const opened = await settle(() =>
      functions.watchTasks(stub, (event: TaskEvent) => {
        report('event', event);
        if (event.event_type === 'TASK_EVENT_TYPE_DELETED') sawDeleted();
      }),
    );
    const stream = opened.kind === 'value' ? opened.value : undefined;
    report(
      'opened',
      opened.kind === 'value' ? { kind: 'value', value: typeof stream?.cancel === 'function' ? 'a stream' : String(stream) } : opened,
    );
    if (typeof stream?.cancel !== 'function') {
      report('after-cancel', opened.kind === 'value' ? { kind: 'value', value: [] } : opened);
      return stub.close();
    }
    await Promise.race([deleted, new Promise((resolve) => setTimeout(resolve, WAIT_MS))]);
    const printedBefore = output().length;
    const ended = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
    stream.cancel();
    await ended;
    // The stream's 'error' listeners run right after its status: let them print.
    await new Promise((resolve) => setImmediate(resolve));
    report('after-cancel', { kind: 'value', value: output().slice(printedBefore) });
    stub.close();
  },

  /** A server whose WatchTasks fails at once: reports what the learner's code printed. */
  async watchFails({ client, report, settle, waitForOutput }) {
    const functions = client as unknown as ClientFunctions;
    const server = new grpc.Server();
    server.addService(loadTaskManagerProto().taskmanager.TaskManager.service, {
      WatchTasks: (call: grpc.ServerWritableStream<unknown, TaskEvent>) =>
        call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: FAILED_STREAM_DETAILS }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const stub = functions.createClient(`127.0.0.1:${port}`);
    try {
      const opened = await settle(() => functions.watchTasks(stub, () => {}));
      if (opened.kind !== 'value') return report('printed', opened);
      const line = await waitForOutput((text) => text.includes(FAILED_STREAM_DETAILS), WAIT_MS);
      report('printed', { kind: 'value', value: line ?? null });
    } finally {
      stub.close();
      server.forceShutdown();
    }
  },
};
