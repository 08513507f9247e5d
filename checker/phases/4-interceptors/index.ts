// Phase 4: the learner's logging interceptor (in front of the reference
// handlers), its wiring in server.ts, and the learner's fetchTask.
import { isDeepStrictEqual } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { callUnary } from '../../../lib/client-runtime.ts';
import { exitedWithin } from '../../../lib/process.ts';
import { todoMessage } from '../../../lib/protocol.ts';
import { parseRpcLogLine, type RpcLogEntry } from '../../../lib/rpc-log.ts';
import { CheckFailure, NotRun } from '../../harness/failures.ts';
import { EVENT_WAIT_MS, type Harness } from '../../harness/harness.ts';
import { startInProcessServer } from '../../harness/in-process-server.ts';
import type { Phase } from '../../harness/phase.ts';
import { describeSettled, explainSettled, reportOf } from '../../harness/settled.ts';
import type { InterceptorRun, LoggedCall } from './driver.ts';

const DRIVER = new URL('./driver.ts', import.meta.url);
const SERVICE_PATH = '/taskmanager.TaskManager';
/** Log lines carry wall-clock times; allow this much between the grader's clock reading and the interceptor's. */
const CLOCK_SLACK_MS = 1000;
/** A call's logged duration may exceed what the client measured by this much (the log is written just after the end). */
const DURATION_SLACK_MS = 50;
const RUN_WAIT_MS = 8000;
/** How long `npm run client` may take for the whole demo (it takes well under a second once started). */
const DEMO_WAIT_MS = 7000;
/** The line of the demo that says fetchTask caught the failure of GetTask on a missing task (lib/client-demo.ts). */
const CAUGHT_LINE = /caught the error: code /;

/** The learner's interceptor in front of the reference handlers: the same calls, once per run. */
function interceptorRun(harness: Harness): Promise<InterceptorRun> {
  return harness.once('phase4-interceptor-run', async () => {
    const run = await harness.runScenario(DRIVER, 'interceptorRun');
    const report = await run.waitFor((m) => m.type === 'report' || m.type === 'failed', RUN_WAIT_MS);
    if (report?.type === 'report') return report.value as InterceptorRun;
    throw new CheckFailure({
      expected: 'the reference handlers to run behind your loggingInterceptor',
      received:
        report?.type === 'failed'
          ? report.message.split('\n')[0]!
          : run.crashed()
            ? `your code crashed (${run.crashed()})`
            : 'no result in time',
      file: 'interceptors.ts',
    });
  });
}

/** The method and status of a log line, read leniently (the format check is strict). */
function methodAndStatus(line: string): { rpc: string | undefined; status: string | undefined } {
  const method = /(?:^|\s)method=(\S+)/.exec(line)?.[1];
  return { rpc: method?.split('/').pop(), status: /(?:^|\s)status=(\S+)/.exec(line)?.[1] };
}

/** The calls that ended with `statuses` (what the log should say), in order. */
const callsLogging = (run: InterceptorRun, ...statuses: string[]) => run.calls.filter((call) => statuses.includes(call.expected));

function noteCalls(harness: Harness, run: InterceptorRun): void {
  for (const call of run.calls) {
    harness.note(`→ ${call.rpc}: the client got ${call.received}; expected in the log: ${call.expected}`);
    for (const line of call.lines) harness.note(`  [your interceptor] ${line}`);
  }
}

/** A call whose handler answered but whose answer never reached the client: the interceptor held it. */
function heldAnswer(run: InterceptorRun): LoggedCall | undefined {
  return run.calls.find((call) => call.answered !== null && call.received === 'DEADLINE_EXCEEDED');
}

/** Each call logged exactly once, with the status it ended with. */
function expectLoggedOnce(calls: LoggedCall[], hint: string): void {
  for (const call of calls) {
    const statuses = call.lines.map((line) => methodAndStatus(line).status ?? '(no status)');
    if (statuses.length === 1 && statuses[0] === call.expected) continue;
    throw new CheckFailure({
      expected: `one log line for ${call.rpc} with status=${call.expected}`,
      received: statuses.length === 0 ? `no log line for that ${call.rpc}` : call.lines.join(' | '),
      hint: statuses.length > 1 ? 'onCancel also runs after a normal end: keep a flag so each call is logged only once' : hint,
    });
  }
}

/** The learner's client.ts: fetchTask against the reference server, once per run. */
function fetchRun(harness: Harness) {
  return harness.once('phase4-fetch', async () => {
    const reference = await harness.reference();
    const existing = reference.store.create({ title: 'Fetch me', description: 'phase 4', tags: ['fetch'] });
    const missing = 'no-such-task-for-fetch';
    const run = await harness.runScenario(DRIVER, 'fetch', { address: reference.address, existing: existing.id, missing });
    return { run, reference, existing, missing };
  });
}

/**
 * The learner's client.ts run as a program, as `npm run client` runs it, against
 * a reference server of its own (the demo's tasks and events stay out of the
 * other checks), once per run.
 */
function demoRun(harness: Harness) {
  return harness.once('phase4-demo', async () => {
    const server = await startInProcessServer();
    harness.onCleanup(() => server.stop(100));
    const demo = await harness.runProgram('client.ts', ['--host', '127.0.0.1', '--port', String(server.port)]);
    return { exit: await exitedWithin(demo, DEMO_WAIT_MS), output: demo.output };
  });
}

export const phase: Phase = {
  number: 4,
  title: 'Interceptors and error handling',
  prepare(harness) {
    void interceptorRun(harness).catch(() => {});
    // The demo starts once the client host is up: two processes starting at once slow each other down.
    void fetchRun(harness)
      .then(() => demoRun(harness))
      .catch(() => {});
  },
  starting: (harness) =>
    `Running the reference handlers behind your interceptor (${harness.displayFile('interceptors.ts')}), and your client…`,
  checks: [
    {
      name: 'The interceptor logs each unary call exactly once, with its final status',
      proves:
        'CreateTask (OK), GetTask (NOT_FOUND), CreateTask (INVALID_ARGUMENT) and ListTasks (OK) each give one line with the status the handler answered, and every answer still reaches the client',
      file: 'interceptors.ts',
      hint: 'log in the responder’s sendStatus(status, next): status.code is the final code; then call next(status)',
      moreHint:
        'Return `new grpc.ServerInterceptingCall(call, responder)` where the responder has `sendStatus(status, next) { log(status.code); next(status); }`. Take `const startedAt = new Date()` and `const started = performance.now()` when the interceptor runs, and log with `logRpc({ method: methodDescriptor.path, status: status.code, durationMs: performance.now() - started, startedAt })`. Forgetting next(status) leaves the client waiting',
      async run(harness) {
        const run = await interceptorRun(harness);
        noteCalls(harness, run);
        const held = heldAnswer(run);
        if (held) {
          throw new CheckFailure({
            expected: `the answer of ${held.rpc} (${held.answered}) to reach the client`,
            received: `the handler answered ${held.answered}, but the client got nothing until its deadline (DEADLINE_EXCEEDED)`,
            explanation: 'your interceptor held the answer: sendStatus must pass the status on with next(status)',
            hint: 'sendStatus(status, next) { ...log...; next(status); }',
          });
        }
        if (run.lines.length === 0) {
          throw new CheckFailure({
            expected: `one log line per call (${run.calls.length} calls)`,
            received: 'no log line at all',
            hint: 'logRpc({ method, status, durationMs, startedAt }) once per call (lib/rpc-log.ts)',
          });
        }
        expectLoggedOnce(callsLogging(run, 'OK', 'NOT_FOUND', 'INVALID_ARGUMENT'), this.hint);
      },
    },
    {
      name: 'The interceptor logs a cancelled WatchTasks once, as CANCELLED',
      proves: 'a stream the client cancels, which never reaches sendStatus, still gets exactly one line',
      file: 'interceptors.ts',
      hint: 'start(next) { next({ onCancel() { /* log CANCELLED once */ } }) }',
      moreHint:
        'Add `start(next) { next({ onCancel() { ... } }); }` to the responder: a cancelled call never reaches sendStatus, only onCancel. onCancel also runs after every normal end, so keep a flag: `let logged = false;` and a small `logOnce(code)` that returns early when logged is true; sendStatus calls logOnce(status.code), onCancel calls logOnce(...)',
      async run(harness) {
        const run = await interceptorRun(harness);
        noteCalls(harness, run);
        if (run.lines.length === 0) throw new NotRun('the interceptor logs nothing yet (see the first check)');
        expectLoggedOnce(callsLogging(run, 'CANCELLED'), this.hint);
      },
    },
    {
      name: 'The interceptor tells a passed deadline and a refused request from a cancel',
      proves:
        'a watch whose deadline passes is logged DEADLINE_EXCEEDED; a request grpc-js refuses before your code sees it (over 1 MiB) is logged UNSEEN, not CANCELLED',
      file: 'interceptors.ts',
      hint: "in onCancel: deadlineHasPassed(call.getDeadline()) → DEADLINE_EXCEEDED; a request that arrived (onReceiveMessage ran) → CANCELLED; otherwise 'UNSEEN'",
      moreHint:
        "onCancel runs for every call that ends without passing through sendStatus. Tell them apart: `deadlineHasPassed(call.getDeadline())` (lib/rpc-log.ts) says whether the call’s deadline passed; add `onReceiveMessage(message, nextMessage) { requestArrived = true; nextMessage(message); }` to the listener: a call whose request never arrived was refused by grpc-js itself (too large, not protobuf), which the interceptor cannot see: log it as 'UNSEEN'",
      async run(harness) {
        const run = await interceptorRun(harness);
        noteCalls(harness, run);
        if (run.lines.length === 0) throw new NotRun('the interceptor logs nothing yet (see the first check)');
        expectLoggedOnce(callsLogging(run, 'DEADLINE_EXCEEDED'), this.hint);
        try {
          expectLoggedOnce(callsLogging(run, 'UNSEEN'), this.hint);
        } catch (error) {
          if (!(error instanceof CheckFailure)) throw error;
          throw new CheckFailure({
            ...error.details,
            expected: `${error.details.expected} for the CreateTask over 1 MiB (grpc-js refused it: the client got RESOURCE_EXHAUSTED)`,
            explanation: 'the request never reached your code: CANCELLED would claim a cancel that did not happen',
          });
        }
      },
    },
    {
      name: 'Each log line has method, status, time and duration in the documented format',
      proves:
        'every line parses as `method=… status=… duration_ms=… time=…` (PHASES.md, Phase 4), with the full method path, the time the call started and a duration no longer than the call',
      file: 'interceptors.ts',
      hint: 'logRpc from lib/rpc-log.ts writes the format for you: method = methodDescriptor.path, durationMs from two performance.now() readings, startedAt = new Date() at the start',
      moreHint:
        "Let logRpc (lib/rpc-log.ts) write the line: it prints `rpc method=... status=NAME duration_ms=... time=...`. Give it method: methodDescriptor.path (the full /taskmanager.TaskManager/GetTask), status: the grpc.status number (or 'UNSEEN'), durationMs in milliseconds: `performance.now() - started`, where `started = performance.now()` was taken when the interceptor ran, and startedAt: a Date taken then too (not when the call ended). Debug lines must not contain `method=`",
      async run(harness) {
        const run = await interceptorRun(harness);
        noteCalls(harness, run);
        if (run.lines.length === 0) throw new NotRun('the interceptor logs nothing yet (see the first check)');
        for (const line of run.lines) {
          const parsed = parseRpcLogLine(line);
          if (!parsed?.ok) {
            throw new CheckFailure({
              expected: 'a line in the documented format',
              received: `${line}\n  (${parsed === undefined ? 'not a log line' : parsed.problem})`,
            });
          }
        }
        for (const call of run.calls) {
          for (const line of call.lines) {
            const { method, time, durationMs } = (parseRpcLogLine(line) as { ok: true; entry: RpcLogEntry }).entry;
            const problem = !method.startsWith(`${SERVICE_PATH}/`)
              ? `method=${method} should be the full path, e.g. ${SERVICE_PATH}/GetTask (methodDescriptor.path)`
              : Math.abs(Date.parse(time) - call.sentAt) > CLOCK_SLACK_MS
                ? `time=${time} is not when the call started (${new Date(call.sentAt).toISOString()}): take new Date() when the interceptor runs`
                : durationMs > call.wallMs + DURATION_SLACK_MS
                  ? `duration_ms=${durationMs} is longer than the whole call took (${call.wallMs.toFixed(2)} ms from sending it to its log line): measure performance.now() - started, in milliseconds`
                  : undefined;
            if (problem) throw new CheckFailure({ expected: 'sensible values in each log line', received: `${line}\n  (${problem})` });
          }
        }
      },
    },
    {
      name: 'server.ts installs the logging interceptor',
      proves: 'the interceptors list that server.ts passes to new grpc.Server() contains loggingInterceptor',
      file: 'server.ts',
      hint: "in server.ts: import { loggingInterceptor } from './interceptors.ts' and export const interceptors = [loggingInterceptor]",
      moreHint:
        'In server.ts: `import { loggingInterceptor } from "./interceptors.ts";` and put it in the exported list: `export const interceptors: grpc.ServerInterceptor[] = [loggingInterceptor];`. main() passes that list to `new grpc.Server({ ...SERVER_OPTIONS, interceptors })`; the first in the list is the outermost',
      async run(harness) {
        const { interceptors } = await harness.moduleExports('server.ts');
        if (!interceptors?.includes('loggingInterceptor')) {
          throw new CheckFailure({
            expected: 'loggingInterceptor in the `interceptors` list exported by server.ts',
            received: interceptors ? `interceptors is ${interceptors}` : 'server.ts exports no `interceptors` list',
          });
        }
      },
    },
    {
      name: 'server.ts starts its server only when run as a program',
      proves: 'importing server.ts (as the grader and the tests do) starts no server: main() runs only for `npm run server`',
      file: 'server.ts',
      hint: 'keep the last line of server.ts as it was given: if (isEntryPoint(import.meta.url)) main();',
      moreHint:
        'A file that is imported runs its top-level code too. `if (isEntryPoint(import.meta.url)) main();` (lib/cli.ts) starts the server only when server.ts is the program, as with `npm run server`; a bare `main();` would also start one, on localhost:50051, whenever another file imports server.ts for its handlers or its interceptors list (the grader does), and clash with the server you are running',
      async run(harness) {
        const { listenedOnImport } = await harness.loadModule('server.ts');
        if (listenedOnImport.length > 0) {
          throw new CheckFailure({
            expected: 'importing server.ts to start no server',
            received: `it called bindAsync(${listenedOnImport.map((address) => JSON.stringify(address)).join(', ')}) while it was imported`,
            explanation: 'main() runs whenever the file is loaded, not only when it is the program',
          });
        }
      },
    },
    {
      name: 'fetchTask returns the task, or NOT_FOUND with the server’s details (client.ts)',
      proves: 'the client catches the failed call and reports its status code and details instead of crashing or hiding them',
      file: 'client.ts',
      hint: 'try { return { ok: true, task: await getTask(client, id) }; } catch (error) { if (isServiceError(error)) return { ok: false, code: error.code, details: error.details }; throw error; }',
      moreHint:
        'getTask (Phase 2, step 6) returns a Promise: await it inside try and return `{ ok: true, task }`. A failed call rejects: in catch, `if (isServiceError(error)) return { ok: false, code: error.code, details: error.details };` and throw anything else again. Keep the server’s details as they are. Remove the `throw new TodoHumanError(...)` line',
      async run(harness) {
        const { run, reference, existing, missing } = await fetchRun(harness);
        const expectedDetails = await callUnary(reference.client, 'GetTask', { id: missing }).then(
          () => '',
          (error: grpc.ServiceError) => error.details,
        );
        const cases: Array<[label: string, expected: object, description: string]> = [
          ['existing', { ok: true, task: existing }, `{ ok: true, task } for the existing task ${existing.id}`],
          [
            'missing',
            { ok: false, code: grpc.status.NOT_FOUND, details: expectedDetails },
            `{ ok: false, code: ${grpc.status.NOT_FOUND} (NOT_FOUND), details: ${JSON.stringify(expectedDetails)} }`,
          ],
        ];
        for (const [label, expected, description] of cases) {
          const settled = await reportOf(run, label, EVENT_WAIT_MS * 2, description);
          harness.note(`fetchTask(client, "${label === 'existing' ? existing.id : missing}") ${describeSettled(settled)}`);
          if (settled.kind !== 'value') {
            throw new CheckFailure({
              expected: description,
              received: `fetchTask ${describeSettled(settled)}`,
              explanation:
                explainSettled(settled) ??
                (label === 'missing' && settled.kind === 'error' && settled.error.serviceError
                  ? 'a failed call rejects: catch the grpc.ServiceError and return { ok: false, code, details }'
                  : undefined),
            });
          }
          // Compare only the fields of FetchResult: extra fields are the learner's business.
          const value = typeof settled.value === 'object' && settled.value !== null ? (settled.value as Record<string, unknown>) : {};
          const relevant = Object.fromEntries(Object.keys(expected).map((key) => [key, value[key]]));
          if (!isDeepStrictEqual(relevant, expected)) {
            throw new CheckFailure({ expected: description, received: JSON.stringify(settled.value), hint: this.hint });
          }
        }
      },
    },
    {
      name: 'fetchTask lets an error that is not a failed call through (client.ts)',
      proves: 'only gRPC failures become { ok: false, … }: a bug in the code (here a TypeError) is thrown again, not hidden',
      file: 'client.ts',
      hint: 'in catch: if (isServiceError(error)) return { ok: false, … }; then `throw error;` for everything else',
      moreHint:
        'Only a failed call becomes a result: `catch (error) { if (isServiceError(error)) return { ok: false, code: error.code, details: error.details }; throw error; }`. isServiceError (lib/client-runtime.ts) is true for the error a failed gRPC call rejects with (it carries a numeric code); a TypeError from a bug has none, and turning it into `{ ok: false }` would make the caller believe the server refused',
      async run(harness) {
        const { run } = await fetchRun(harness);
        const settled = await reportOf(run, 'bug', EVENT_WAIT_MS * 2, 'fetchTask to throw the TypeError again');
        harness.note(`fetchTask on a client whose call throws a TypeError ${describeSettled(settled)}`);
        if (settled.kind !== 'error' || settled.error.name !== 'TypeError') {
          throw new CheckFailure({
            expected: 'fetchTask to throw the TypeError again (it is a bug, not a failed call)',
            received: `fetchTask ${describeSettled(settled)}`,
            explanation:
              explainSettled(settled) ??
              (settled.kind === 'value' ? 'the catch turned a bug into a result: a caller would think the call failed' : undefined),
          });
        }
      },
    },
    {
      name: 'npm run client runs the whole demo (client.ts as a program)',
      proves:
        'client.ts run as a program goes through the demo against a server, to the failed GetTask it catches, and exits 0 (PHASES.md, Phase 4, step 5)',
      file: 'client.ts',
      hint: 'keep the end of client.ts as it was given: if (isEntryPoint(import.meta.url)) await runClientDemo({ createClient, createTask, … })',
      moreHint:
        '`npm run client` runs client.ts as a program. Its last lines, `if (isEntryPoint(import.meta.url)) { await runClientDemo({ createClient, createTask, getTask, updateTask, deleteTask, listTasks, watchTasks, fetchTask, bearerToken }); }`, hand your functions to the demo (lib/client-demo.ts): keep them as given. Without them the program does nothing; with a function missing from the list the demo cannot call it. Try it: `npm run server` in one terminal, `npm run client` in another',
      async run(harness) {
        const { exit, output } = await demoRun(harness);
        harness.showOutput('your client', output);
        const caught = output.some((line) => CAUGHT_LINE.test(line));
        if (exit === 0 && caught) return;
        const last = output.slice(-3).join(' | ') || 'nothing';
        const todo = output.map((line) => todoMessage.parse(line)).find((found) => found !== undefined);
        throw new CheckFailure({
          expected: 'npm run client to run the demo to its end ("caught the error: code NOT_FOUND (5), …"), then exit 0',
          received:
            exit === undefined
              ? `still running after ${DEMO_WAIT_MS / 1000} s; it printed last: ${last}`
              : `exit ${typeof exit === 'number' ? `code ${exit}` : exit}${caught ? '' : ' without the "caught the error" line'}; it printed last: ${last}`,
          explanation:
            output.length === 0 && exit === 0
              ? 'the program printed nothing: runClientDemo did not run (see the end of client.ts)'
              : todo
                ? `the demo calls ${todo.what}, still a TODO(human) (PHASES.md, ${todo.step})`
                : undefined,
          hint: todo ? 'finish the functions the demo calls: each ⏳ line of its output names one' : undefined,
        });
      },
    },
  ],
};
