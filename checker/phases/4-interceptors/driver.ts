// Phase 4, run in the client host: the learner's loggingInterceptor in front of
// the reference handlers, the wiring of server.ts, and the learner's fetchTask.
import * as grpc from '@grpc/grpc-js';
import type { ClientFunctions } from '../../../lib/client-demo.ts';
import { callUnary, type UnaryMethod } from '../../../lib/client-runtime.ts';
import type { TaskManagerHandlers } from '../../../lib/proto.ts';
import { createTaskManagerHandlers } from '../../../solutions/server.ts';
import type { Scenarios } from '../../harness/host-protocol.ts';
import { startInProcessServer } from '../../harness/in-process-server.ts';

/** A request over the server's 1 MiB limit: grpc-js refuses it before any handler or interceptor hook sees it. */
const OVERSIZED_TITLE_BYTES = 1024 * 1024 + 1000;
const CALL_DEADLINE_MS = 1000;
const WATCH_DEADLINE_MS = 200;
/** How long to wait for the log line of a call once the call has ended. */
const LINE_WAIT_MS = 1000;

/** One call the scenario made, and what the interceptor printed for it. */
export interface LoggedCall {
  rpc: string;
  /** What the call ended with on the server's side, as the interceptor should log it. */
  expected: string;
  /** The status the client received. */
  received: string;
  /** The status the reference handler answered with, when a handler answered (an interceptor may have held it). */
  answered: string | null;
  /** Milliseconds from sending the call until its log line was printed (an upper bound of its duration). */
  wallMs: number;
  /** Wall-clock time the call was sent. */
  sentAt: number;
  /** The log lines for this call's method printed from its start until the next call started. */
  lines: string[];
  /** Whether a line for it came before the scenario moved on. */
  logged: boolean;
}

export interface InterceptorRun {
  calls: LoggedCall[];
  /** Every line printed with method= while the calls ran. */
  lines: string[];
}

/** A log line about `rpc`: method=/taskmanager.TaskManager/GetTask, or (a wrong but readable form) method=GetTask. */
const isLogLineFor = (rpc: string) => (line: string) => new RegExp(`(?:^|\\s)method=(?:\\S*/)?${rpc}(?:\\s|$)`).test(line);

export const scenarios: Scenarios = {
  async interceptorRun({ load, report, output, waitForOutput }) {
    const { loggingInterceptor } = await load('interceptors.ts');
    if (typeof loggingInterceptor !== 'function') throw new Error('interceptors.ts does not export a function named loggingInterceptor');
    const answers = new Map<string, string>();
    const server = await startInProcessServer({
      interceptors: [loggingInterceptor as grpc.ServerInterceptor],
      handlers: (store) => recordAnswers(createTaskManagerHandlers(store), answers),
    });
    const firstLine = output().length;
    const calls: LoggedCall[] = [];
    const starts: number[] = [];
    /** Runs one call, then waits for the next log line of its method. */
    const logged = async (rpc: string, expected: string, run: () => Promise<string>) => {
      const before = output().filter(isLogLineFor(rpc)).length;
      starts.push(output().length);
      answers.delete(rpc);
      const sentAt = Date.now();
      const started = performance.now();
      const received = await run();
      // Wait for its line; once a call went unlogged, the interceptor is not logging: wait briefly after that.
      const waitMs = calls.length > 0 && calls.every((call) => !call.logged) ? 50 : LINE_WAIT_MS;
      const line = await waitForOutput(() => output().filter(isLogLineFor(rpc)).length > before, waitMs);
      calls.push({
        rpc,
        expected,
        received,
        answered: answers.get(rpc) ?? null,
        wallMs: performance.now() - started,
        sentAt,
        lines: [],
        logged: line !== undefined,
      });
    };
    const unary = (method: UnaryMethod, request: object, options: grpc.CallOptions = {}) =>
      callUnary(server.client, method, request as never, { deadline: Date.now() + CALL_DEADLINE_MS, ...options }).then(
        () => 'OK',
        (error: grpc.ServiceError) => grpc.status[error.code] ?? String(error.code),
      );
    try {
      await logged('CreateTask', 'OK', () => unary('CreateTask', { title: 'Logged' }));
      await logged('GetTask', 'NOT_FOUND', () => unary('GetTask', { id: 'missing-for-the-log' }));
      await logged('CreateTask', 'INVALID_ARGUMENT', () => unary('CreateTask', { title: '' }));
      await logged('WatchTasks', 'CANCELLED', async () => {
        const subscribed = new Promise<void>((resolve) => {
          server.store.onSubscriberCountChange = (count) => count > 0 && resolve();
          setTimeout(resolve, CALL_DEADLINE_MS);
        });
        const stream = server.client.WatchTasks({});
        const ended = new Promise<string>((resolve) =>
          stream.on('status', (status: grpc.StatusObject) => resolve(grpc.status[status.code]!)),
        );
        stream.on('error', () => {});
        await subscribed;
        stream.cancel();
        return ended;
      });
      await logged('WatchTasks', 'DEADLINE_EXCEEDED', async () => {
        const stream = server.client.WatchTasks({}, { deadline: Date.now() + WATCH_DEADLINE_MS });
        stream.on('error', () => {});
        return new Promise<string>((resolve) => stream.on('status', (status: grpc.StatusObject) => resolve(grpc.status[status.code]!)));
      });
      await logged('CreateTask', 'UNSEEN', () => unary('CreateTask', { title: 'x'.repeat(OVERSIZED_TITLE_BYTES) }));
      await logged('ListTasks', 'OK', () => unary('ListTasks', {}));
    } finally {
      await server.stop(100);
    }
    // The server has stopped: every line of every call (a second one from onCancel included) is printed.
    const printed = output();
    for (const [index, call] of calls.entries()) {
      call.lines = printed.slice(starts[index], starts[index + 1] ?? printed.length).filter(isLogLineFor(call.rpc));
    }
    const run: InterceptorRun = { calls, lines: printed.slice(firstLine).filter((line) => /(^|\s)method=/.test(line)) };
    report('run', run);
  },

  /** args: address, existing, missing. fetchTask on both ids, and on a client whose call throws a bug. */
  async fetch({ client, args, report, settle }) {
    const functions = client as unknown as ClientFunctions;
    const stub = functions.createClient(args.address as string);
    try {
      report('existing', await settle(() => functions.fetchTask(stub, args.existing as string)));
      report('missing', await settle(() => functions.fetchTask(stub, args.missing as string)));
      // Not a failed call but a bug in the code: fetchTask must let it through.
      const bug = () => {
        throw new TypeError('a bug in the code, not a failed call (the grader threw it on purpose)');
      };
      const broken = { GetTask: bug, getTask: bug } as unknown as typeof stub;
      report('bug', await settle(() => functions.fetchTask(broken, 'any-id')));
    } finally {
      stub.close();
    }
  },
};

/** The same handlers, noting the status each unary handler answered with. */
function recordAnswers(handlers: TaskManagerHandlers, answers: Map<string, string>): TaskManagerHandlers {
  const recorded: Record<string, unknown> = {};
  for (const [name, handler] of Object.entries(handlers) as Array<
    [string, (call: unknown, callback?: grpc.sendUnaryData<unknown>) => void]
  >) {
    recorded[name] = (call: unknown, callback?: grpc.sendUnaryData<unknown>) =>
      handler(
        call,
        callback &&
          ((error, ...rest) => {
            answers.set(name, error ? (grpc.status[error.code ?? grpc.status.UNKNOWN] ?? 'UNKNOWN') : 'OK');
            callback(error, ...rest);
          }),
      );
  }
  return recorded as TaskManagerHandlers;
}
