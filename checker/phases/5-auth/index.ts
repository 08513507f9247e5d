// Phase 5 (bonus): bearer-token authentication and deadlines.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { AUTHORIZATION_KEY, TOKEN_ENV } from '../../../lib/auth.ts';
import { deadlineAfter, statusName, type Task } from '../../../lib/client-runtime.ts';
import { CheckFailure, NotRun } from '../../harness/failures.ts';
import { EVENT_WAIT_MS, type Harness, RPC_DEADLINE_MS } from '../../harness/harness.ts';
import { startInProcessServer } from '../../harness/in-process-server.ts';
import type { Phase } from '../../harness/phase.ts';
import { describeSettled, explainSettled, reportOf } from '../../harness/settled.ts';
import { collectStream } from '../../harness/streams.ts';
import { AUTH_OFF_REQUEST } from './driver.ts';

const DRIVER = new URL('./driver.ts', import.meta.url);
const DEADLINE_MS = 300;
/** fetchTask may give up this much before its deadline (timers round to the millisecond), never more. */
const EARLY_SLACK_MS = 50;

/** The reference handlers behind an interceptor that wants the run's token (not the learner's: their client is graded). */
function tokenServer(harness: Harness) {
  return harness.once('phase5-token-server', async () => {
    const wanted = `Bearer ${harness.options.token}`;
    const requireToken: grpc.ServerInterceptor = (_method, call) =>
      new grpc.ServerInterceptingCall(call, {
        start: (next) =>
          next({
            onReceiveMetadata(metadata, nextMetadata) {
              if (metadata.get(AUTHORIZATION_KEY)[0] === wanted) nextMetadata(metadata);
              else call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: 'authorization: the bearer token is missing or wrong' });
            },
          }),
      });
    const server = await startInProcessServer({ interceptors: [requireToken] });
    harness.onCleanup(() => server.stop(100));
    return server;
  });
}

/** A server whose GetTask never answers: only a client deadline ends the call. */
function silentServer(harness: Harness) {
  return harness.once('phase5-silent-server', async () => {
    const server = await startInProcessServer({ handlers: () => ({ GetTask() {} }) });
    harness.onCleanup(() => server.stop(100));
    return server;
  });
}

function clientRuns(harness: Harness) {
  return harness.once('phase5-client', async () => {
    const [token, silent] = await Promise.all([tokenServer(harness), silentServer(harness)]);
    const [auth, deadline] = await Promise.all([
      harness.runScenario(DRIVER, 'auth', { address: token.address, token: harness.options.token }),
      harness.runScenario(DRIVER, 'deadline', { address: silent.address, id: 'slow-task', deadlineMs: DEADLINE_MS }),
    ]);
    return { auth, deadline };
  });
}

/** A watch with a 300 ms deadline on the learner's server, opened early (so its wait overlaps other checks). */
function deadlineWatch(harness: Harness) {
  return harness.once('phase5-deadline-watch', async () => {
    const learner = await harness.learner();
    const baseline = learner.subscribers.value ?? 0;
    harness.note(`→ WatchTasks {} with a ${DEADLINE_MS} ms deadline`);
    const stream = learner.client.WatchTasks({}, harness.metadataFor('learner'), { deadline: deadlineAfter(DEADLINE_MS) });
    harness.onCleanup(() => stream.cancel());
    const status = await collectStream(stream).waitForEnd(RPC_DEADLINE_MS);
    return { learner, baseline, status };
  });
}

async function createWithToken(harness: Harness, title: string): Promise<Task> {
  const { task } = await harness.needOk('learner', 'CreateTask', { title });
  if (!task) throw new NotRun('needs CreateTask to answer with its task (Phase 2)');
  return task;
}

export const phase: Phase = {
  number: 5,
  title: 'Bonus: authentication and deadlines',
  starting: (harness) => `Your server requires a token now (${harness.displayFile('auth.ts')}); your client sends one…`,
  prepare(harness) {
    void clientRuns(harness).catch(() => {});
    void deadlineWatch(harness).catch(() => {});
  },
  checks: [
    {
      name: 'Calls without a valid bearer token get UNAUTHENTICATED',
      file: 'auth.ts',
      proves: 'no token and a wrong token are both refused before the handler runs, and a refused CreateTask stores nothing',
      hint: "in authInterceptor's onReceiveMetadata: const [sent] = metadata.get(AUTHORIZATION_KEY); if isBearerToken(sent, token), nextMetadata(metadata); otherwise call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details }) and do not call nextMetadata",
      moreHint:
        'In auth.ts, for TaskManager methods when expectedToken() gives a token, return `new grpc.ServerInterceptingCall(call, { start(next) { next({ onReceiveMetadata(metadata, nextMetadata) { ... } }); } })`. Inside: `const [sent] = metadata.get(AUTHORIZATION_KEY);` then `if (isBearerToken(sent, token)) return nextMetadata(metadata);` and otherwise `call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: ... })` without calling nextMetadata: the call then never reaches a handler, so nothing is stored. Then install it in server.ts, after the logger',
      async run(harness) {
        const title = 'Refused without a token';
        for (const [token, what] of [
          [null, 'no authorization metadata'],
          ['wrong-token', 'a wrong token'],
        ] as const) {
          const outcome = await harness.rpc('learner', 'CreateTask', { title }, { token });
          if (outcome.ok || outcome.code !== grpc.status.UNAUTHENTICATED) {
            const { interceptors } = await harness.moduleExports('server.ts');
            const installed = interceptors?.includes('authInterceptor') ?? false;
            throw new CheckFailure({
              sent: { method: 'CreateTask', request: { title } },
              expected: `UNAUTHENTICATED for a call with ${what}`,
              received: outcome.ok ? 'OK: the call went through' : `${grpc.status[outcome.code]}: ${outcome.details}`,
              explanation: !installed
                ? `authInterceptor is not in the interceptors list of server.ts (${interceptors ?? 'no list'}): Phase 5, step 2`
                : outcome.ok || outcome.code === grpc.status.UNIMPLEMENTED
                  ? 'the call reached your handler: authInterceptor let it through'
                  : undefined,
              hint: installed ? undefined : 'in server.ts: export const interceptors = [loggingInterceptor, authInterceptor]',
              file: installed ? 'auth.ts' : 'server.ts',
            });
          }
          if (outcome.details.trim() === '') {
            throw new CheckFailure({
              sent: { method: 'CreateTask', request: { title } },
              expected: `UNAUTHENTICATED for a call with ${what}, with details that say what is wrong`,
              received: 'UNAUTHENTICATED with empty details',
              explanation:
                'a client (and the person reading its error) learns from details what to fix: which metadata to send, or that the token was not accepted',
              hint: 'call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: \'authorization: send "Bearer <token>" metadata\' })',
              file: 'auth.ts',
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
      file: 'auth.ts',
      proves: 'the right token lets TaskManager calls through, and tools can still check health and use reflection without one',
      hint: 'skip the check when needsToken(methodDescriptor.path) is false: only /taskmanager.TaskManager/ methods need a token',
      moreHint:
        'Health checks and reflection come from load balancers and tools that hold no token: `if (token === undefined || !needsToken(methodDescriptor.path)) return new grpc.ServerInterceptingCall(call);` lets them through untouched. needsToken is true only for paths that start with /taskmanager.TaskManager/',
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
      file: 'server.ts',
      proves: 'loggingInterceptor comes before authInterceptor (the first is the outermost), so refused calls are in the log',
      hint: 'in server.ts: export const interceptors = [loggingInterceptor, authInterceptor] (logging first)',
      moreHint:
        'The list in server.ts is an onion: the first interceptor is the outermost. `[loggingInterceptor, authInterceptor]` puts the logger around auth, so the UNAUTHENTICATED status auth sends passes through the logger’s sendStatus. In the other order the logger sits inside: auth answers before the call reaches it, and all it sees is the call ending',
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
              status === 'CANCELLED' || status === 'UNSEEN'
                ? 'the logger sits inside authInterceptor: it only saw the call end, never the status auth sent. The order of the list in server.ts decides'
                : undefined,
          });
        }
      },
    },
    {
      name: 'Your client sends the token (bearerToken in client.ts)',
      proves: 'a client with your bearerToken interceptor gets through a server that requires the token',
      file: 'client.ts',
      hint: "new grpc.InterceptingCall(nextCall(options), { start(metadata, listener, next) { metadata.set('authorization', `Bearer ${token}`); next(metadata, listener); } })",
      moreHint:
        'A client interceptor wraps each outgoing call: `return (options, nextCall) => new grpc.InterceptingCall(nextCall(options), { start(metadata, listener, next) { metadata.set(AUTHORIZATION_KEY, `Bearer ${token}`); next(metadata, listener); } });`. The demo passes it to createClient as `{ interceptors: [bearerToken(token)] }`, so every call carries the header',
      async run(harness) {
        const { auth } = await clientRuns(harness);
        const expected = 'ListTasks through a client with bearerToken(token) to succeed (OK)';
        const settled = await reportOf(auth, 'auth', EVENT_WAIT_MS * 2, expected);
        if (settled.kind !== 'value' || settled.value !== 'OK') {
          throw new CheckFailure({
            expected,
            received: settled.kind === 'value' ? String(settled.value) : `bearerToken() ${describeSettled(settled)}`,
            explanation:
              settled.kind === 'value' && settled.value === 'UNAUTHENTICATED' ? 'the call left without the token' : explainSettled(settled),
          });
        }
      },
    },
    {
      name: `Your fetchTask gives up at its deadline with DEADLINE_EXCEEDED (client.ts)`,
      proves: `fetchTask(client, id, ${DEADLINE_MS}) on a server that never answers returns { ok: false, code: DEADLINE_EXCEEDED } after about ${DEADLINE_MS} ms`,
      file: 'client.ts',
      hint: 'when deadlineMs is given, pass the call options { deadline: Date.now() + deadlineMs } to getTask',
      moreHint:
        'A deadline is a call option: `getTask(client, id, { deadline: Date.now() + deadlineMs })` (getTask passes its options to client.GetTask). When it passes, grpc-js cancels the call and it fails with DEADLINE_EXCEEDED, which your catch already turns into `{ ok: false, code, details }`. Without deadlineMs, pass no options: a call then waits as long as the server takes',
      async run(harness) {
        const { deadline } = await clientRuns(harness);
        const expected = `{ ok: false, code: ${grpc.status.DEADLINE_EXCEEDED} (DEADLINE_EXCEEDED) } within about ${DEADLINE_MS} ms`;
        const message = await deadline.report('deadline', EVENT_WAIT_MS * 2);
        if (message?.type !== 'report') {
          throw new CheckFailure({
            expected,
            received: deadline.crashed() ? `your client code crashed (${deadline.crashed()})` : 'no result from fetchTask in time',
          });
        }
        const { result, elapsedMs } = message.value as { result: import('../../harness/host-protocol.ts').Settled; elapsedMs: number };
        if (result.kind !== 'value') {
          throw new CheckFailure({
            expected,
            received: `fetchTask ${describeSettled(result)}`,
            explanation:
              result.kind === 'timeout'
                ? 'the call has no (short enough) deadline, so it waits for ever on a server that never answers'
                : explainSettled(result),
          });
        }
        const value = result.value as { ok?: boolean; code?: number };
        if (value.ok !== false || value.code !== grpc.status.DEADLINE_EXCEEDED || elapsedMs > DEADLINE_MS + 1500) {
          throw new CheckFailure({ expected, received: `${JSON.stringify(value)} after ${elapsedMs} ms` });
        }
        if (elapsedMs < DEADLINE_MS - EARLY_SLACK_MS) {
          throw new CheckFailure({
            expected,
            received: `DEADLINE_EXCEEDED already after ${elapsedMs} ms, before the ${DEADLINE_MS} ms were up`,
            explanation:
              'a deadline is a moment, not a duration: { deadline: deadlineMs } is a moment in 1970, long past, so the call fails at once',
            hint: 'pass { deadline: Date.now() + deadlineMs } (or new Date(Date.now() + deadlineMs))',
          });
        }
      },
    },
    {
      name: 'Your server forgets a watch whose deadline passed',
      file: 'server.ts',
      proves: 'a WatchTasks call with a deadline is cancelled when it expires, and the server unsubscribes it',
      hint: "a passed deadline cancels the call: call.on('cancelled', unsubscribe) covers it",
      moreHint:
        'A passed deadline cancels the call on the server too: grpc-js emits "cancelled" on it, exactly as when the client cancels. `call.on("cancelled", unsubscribe)` in WatchTasks (Phase 3, step 1) therefore also forgets watches whose deadline passed',
      async run(harness) {
        const { learner, baseline, status } = await deadlineWatch(harness);
        if (status?.code !== grpc.status.DEADLINE_EXCEEDED) {
          throw new CheckFailure({
            expected: 'the watch to end with DEADLINE_EXCEEDED after 300 ms',
            received: status ? `${statusName(status.code)}: ${status.details}` : 'still open after 2 s',
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
    {
      name: 'Without TASKMANAGER_TOKEN your authInterceptor asks for no token',
      file: 'auth.ts',
      proves:
        'authentication is off when no token is set, as `npm run server` runs in Phases 2 to 4: authInterceptor lets a call without authorization metadata through',
      hint: 'check tokens only when there is one: if (token === undefined || !needsToken(methodDescriptor.path)) return new grpc.ServerInterceptingCall(call);',
      moreHint:
        'expectedToken() returns undefined when TASKMANAGER_TOKEN is not set: there is no token to compare with, and every call must pass untouched, or `npm run server` (started without a token) refuses every call of Phases 2 to 4. Begin authInterceptor with `const token = expectedToken(); if (token === undefined || !needsToken(methodDescriptor.path)) return new grpc.ServerInterceptingCall(call);`',
      async run(harness) {
        const refused = await harness.rpc('learner', 'GetTask', { id: 'refused-without-a-token' }, { token: null });
        if (refused.ok || refused.code !== grpc.status.UNAUTHENTICATED) {
          throw new NotRun('needs authInterceptor to refuse calls without a token first (see the first check)');
        }
        harness.note(`(your authInterceptor in front of the reference handlers, in a process without ${TOKEN_ENV})`);
        harness.note(`→ CreateTask ${JSON.stringify(AUTH_OFF_REQUEST)} (no authorization metadata)`);
        const run = await harness.runScenario(DRIVER, 'authOff');
        const settled = await reportOf(run, 'auth-off', EVENT_WAIT_MS * 2, 'CreateTask without a token to succeed', 'auth.ts');
        const answer = settled.kind === 'value' ? String(settled.value) : undefined;
        harness.note(`← ${answer ?? describeSettled(settled)}`);
        if (answer === 'OK') return;
        throw new CheckFailure({
          sent: { method: 'CreateTask', request: AUTH_OFF_REQUEST },
          expected: `OK: with ${TOKEN_ENV} not set, authentication is off`,
          received: answer ?? `authInterceptor ${describeSettled(settled)}`,
          explanation: answer?.startsWith('UNAUTHENTICATED')
            ? 'authInterceptor refuses calls although no token is expected: expectedToken() was undefined'
            : undefined,
        });
      },
    },
  ],
};
