// Phase 5 (bonus): bearer-token authentication and deadlines.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { deadlineAfter, type Task } from '../../lib/client-runtime.ts';
import { startServer } from '../../lib/server-runtime.ts';
import { createTaskManagerHandlers as referenceHandlers } from '../../solutions/server.ts';
import { EVENT_WAIT_MS, type Harness, RPC_DEADLINE_MS } from '../harness.ts';
import { CheckFailure, NotRun, type Phase } from '../types.ts';

const DEADLINE_MS = 300;

/** A server whose GetTask never answers: only a client deadline ends the call. */
function silentServer(harness: Harness) {
  return harness.once('silent-server', async () => {
    const running = await startServer(
      { createHandlers: (store) => ({ ...referenceHandlers(store), GetTask() {} }) },
      { host: '127.0.0.1', port: 0 },
    );
    harness.onCleanup(() => running.shutdown(100));
    return running;
  });
}

/** The learner's client.ts in auth and deadline mode, once per phase. */
function clientDriver(harness: Harness) {
  return harness.once('phase5-driver', async () => {
    const [reference, silent] = await Promise.all([harness.referenceProcess(), silentServer(harness)]);
    return harness.driver('auth,deadline', [
      ...['--address', reference.address, '--token', harness.options.authToken!],
      ...['--silent-address', `127.0.0.1:${silent.port}`, '--missing', 'slow-task', '--deadline-ms', String(DEADLINE_MS)],
    ]);
  });
}

/** A watch with a 300 ms deadline on the learner's server, opened once the server is up (so its wait overlaps other checks). */
function deadlineWatch(harness: Harness) {
  return harness.once('deadline-watch', async () => {
    const learner = await harness.learner();
    const baseline = await harness.watcherBaseline();
    harness.note('→ WatchTasks {} with a 300 ms deadline');
    const stream = learner.client.WatchTasks({}, harness.metadataFor('learner'), { deadline: deadlineAfter(300) });
    stream.on('data', () => {});
    harness.onCleanup(() => stream.cancel());
    const ended = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve).on('error', () => {}));
    const status = await Promise.race([ended, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000))]);
    return { learner, baseline, status };
  });
}

async function createWithToken(harness: Harness, title: string): Promise<Task> {
  const { task } = await harness.needOk('learner', 'CreateTask', { title });
  if (!task) throw new NotRun('needs CreateTask to answer with its task (Phase 2)');
  return task;
}

export const phase5: Phase = {
  number: 5,
  title: 'Bonus: authentication and deadlines',
  files: ['exercises/auth.ts', 'exercises/server.ts', 'exercises/client.ts'],
  requiresToken: true,
  starting: (harness) => `Starting your server with a required token (${harness.implFile('server.ts')}), the reference, and your client…`,
  prepare(harness) {
    void harness.learner().catch(() => {});
    void clientDriver(harness).catch(() => {});
    void deadlineWatch(harness).catch(() => {});
  },
  checks: [
    {
      name: 'Calls without a valid bearer token get UNAUTHENTICATED',
      proves: 'no token and a wrong token are both refused before the handler runs, and a refused CreateTask stores nothing',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the hint shows code to write
      hint: "in authInterceptor's onReceiveMetadata: compare metadata.get('authorization')[0] with `Bearer ${token}`; otherwise call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details }) and do not call next",
      async run(harness) {
        const title = 'Refused without a token';
        for (const [token, what] of [
          [null, 'no authorization metadata'],
          ['wrong-token', 'a wrong token'],
        ] as const) {
          const outcome = await harness.rpc('learner', 'CreateTask', { title }, { token });
          if (outcome.ok || outcome.code !== grpc.status.UNAUTHENTICATED) {
            throw new CheckFailure({
              sent: { method: 'CreateTask', request: { title } },
              expected: `UNAUTHENTICATED for a call with ${what}`,
              received: outcome.ok ? 'OK: the call went through' : `${grpc.status[outcome.code]}: ${outcome.details}`,
              explanation: outcome.ok ? 'is authInterceptor in the interceptors list of server.ts (Phase 5, step 2)?' : undefined,
            });
          }
        }
        const { tasks } = await harness.needOk('learner', 'ListTasks', {});
        if (tasks.some((task) => task.title === title)) {
          throw new CheckFailure({
            expected: 'a refused CreateTask to store nothing',
            received: 'the task was stored: the handler ran although the call was refused',
            hint: 'after call.sendStatus(...), do not call nextMetadata(metadata)',
          });
        }
      },
    },
    {
      name: 'Calls with the token work; health and reflection stay open',
      proves: 'the right token lets TaskManager calls through, and tools can still check health and use reflection without one',
      hint: 'skip the check when needsToken(methodDescriptor.path) is false: only /taskmanager.TaskManager/ methods need a token',
      async run(harness) {
        await createWithToken(harness, 'With the token');
        const { process: server } = await harness.learner();
        const Health = (
          grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, { keepCase: true, enums: String })) as unknown as {
            grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client } } };
          }
        ).grpc.health.v1.Health;
        const health = new Health(server.address, grpc.credentials.createInsecure()) as grpc.Client & {
          Check(
            request: object,
            options: grpc.CallOptions,
            callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
          ): void;
        };
        harness.note('→ grpc.health.v1.Health/Check {"service":""} (no token)');
        const answer = await new Promise<string>((resolve) =>
          health.Check({ service: '' }, { deadline: deadlineAfter(RPC_DEADLINE_MS) }, (error, response) =>
            resolve(error ? `${grpc.status[error.code]}: ${error.details}` : (response?.status ?? '')),
          ),
        );
        health.close();
        harness.note(`← ${answer}`);
        if (answer !== 'SERVING') {
          throw new CheckFailure({ expected: 'health Check without a token to answer SERVING', received: answer });
        }
      },
    },
    {
      name: 'The logging interceptor still logs refused calls, as UNAUTHENTICATED',
      proves: 'loggingInterceptor comes before authInterceptor (the first is the outermost), so refused calls are in the log',
      hint: 'in server.ts: export const interceptors = [loggingInterceptor, authInterceptor] (logging first)',
      async run(harness) {
        const { process: server } = await harness.learner();
        const logged = server.waitForLine(/(?:^|\s)method=\S*\/GetTask(?:\s|$)/, EVENT_WAIT_MS);
        const outcome = await harness.rpc('learner', 'GetTask', { id: 'refused-for-the-log' }, { token: null });
        if (outcome.ok || outcome.code !== grpc.status.UNAUTHENTICATED) {
          throw new NotRun('needs authInterceptor to refuse calls without a token first (see the first check)');
        }
        const line = await logged;
        if (!line) {
          throw new CheckFailure({
            expected: 'a log line for the refused GetTask',
            received: 'no log line: is loggingInterceptor installed (Phase 4, step 3)?',
          });
        }
        const status = /(?:^|\s)status=(\S+)/.exec(line)?.[1];
        if (status !== 'UNAUTHENTICATED') {
          throw new CheckFailure({
            expected: 'the refused GetTask logged with status=UNAUTHENTICATED',
            received: line,
            explanation:
              status === 'CANCELLED'
                ? 'the logger sat inside authInterceptor: it only saw the call end, not the status auth sent'
                : undefined,
          });
        }
      },
    },
    {
      name: 'Your client sends the token (bearerToken in client.ts)',
      proves: 'a client with your bearerToken interceptor gets through a server that requires the token',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the hint shows code to write
      hint: "new grpc.InterceptingCall(nextCall(options), { start(metadata, listener, next) { metadata.set('authorization', `Bearer ${token}`); next(metadata, listener); } })",
      async run(harness) {
        const driver = await clientDriver(harness);
        const message = await driver.waitForMessage((m) => 'label' in m && m.label === 'auth', EVENT_WAIT_MS * 2);
        if (message?.type === 'todo' || message?.type === 'threw') {
          throw new CheckFailure({
            expected: 'ListTasks through bearerToken(token) to succeed',
            received: `bearerToken threw: ${message.message.split('\n')[0]}`,
            explanation: message.type === 'todo' ? 'bearerToken() is still a TODO(human): see PHASES.md, Phase 5, step 3' : undefined,
          });
        }
        if (message?.type !== 'result' || message.value !== 'OK') {
          throw new CheckFailure({
            expected: 'ListTasks through bearerToken(token) to succeed (OK)',
            received: message?.type === 'result' ? String(message.value) : 'no answer within 4 s',
            explanation: message?.type === 'result' && message.value === 'UNAUTHENTICATED' ? 'the call left without the token' : undefined,
          });
        }
      },
    },
    {
      name: `Your fetchTask gives up at its deadline with DEADLINE_EXCEEDED (client.ts)`,
      proves: `fetchTask(client, id, ${DEADLINE_MS}) on a server that never answers returns { ok: false, code: DEADLINE_EXCEEDED } after about ${DEADLINE_MS} ms`,
      hint: 'pass { deadline: deadlineAfter(deadlineMs) } as the fourth argument of callUnary',
      async run(harness) {
        const driver = await clientDriver(harness);
        const message = await driver.waitForMessage((m) => 'label' in m && m.label === 'deadline', EVENT_WAIT_MS * 2);
        const expected = `{ ok: false, code: ${grpc.status.DEADLINE_EXCEEDED} (DEADLINE_EXCEEDED) } within about ${DEADLINE_MS} ms`;
        if (!message || message.type === 'timeout') {
          throw new CheckFailure({ expected, received: 'fetchTask was still waiting after 3 s: the call has no (short enough) deadline' });
        }
        if (message.type !== 'result') {
          throw new CheckFailure({
            expected,
            received: 'message' in message ? `fetchTask threw: ${message.message.split('\n')[0]}` : 'no result',
          });
        }
        const { result, elapsedMs } = message.value as { result: { ok?: boolean; code?: number }; elapsedMs: number };
        if (result.ok !== false || result.code !== grpc.status.DEADLINE_EXCEEDED || elapsedMs > DEADLINE_MS + 1500) {
          throw new CheckFailure({ expected, received: `${JSON.stringify(result)} after ${elapsedMs} ms` });
        }
      },
    },
    {
      name: 'Your server forgets a watch whose deadline passed',
      proves: 'a WatchTasks call with a deadline is cancelled when it expires, and the server unsubscribes it',
      hint: "a passed deadline cancels the call: call.on('cancelled', unsubscribe) covers it",
      async run(harness) {
        const { learner, baseline, status } = await deadlineWatch(harness);
        if (status?.code !== grpc.status.DEADLINE_EXCEEDED) {
          throw new CheckFailure({
            expected: 'the watch to end with DEADLINE_EXCEEDED after 300 ms',
            received: status ? `${grpc.status[status.code]}: ${status.details}` : 'still open after 2 s',
          });
        }
        if (learner.subscribers.value === undefined) {
          harness.note('(subscriber count not reported: your server does not use lib/store.ts, so the leak is not measured)');
          return;
        }
        if (!(await learner.subscribers.waitFor((count) => count <= baseline, EVENT_WAIT_MS))) {
          throw new CheckFailure({
            expected: `the server to unsubscribe the expired watch (${baseline} subscriber(s))`,
            received: `still ${learner.subscribers.value} subscribers`,
          });
        }
      },
    },
  ],
};
