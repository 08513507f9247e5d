// Phase 4: the learner's logging interceptor (behind the reference handlers),
// its wiring in server.ts, and the learner's fetchTask error handling.
import { isDeepStrictEqual } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { callUnary, createTaskManagerClient, deadlineAfter, type Task } from '../../lib/client-runtime.ts';
import { parseRpcLogLine } from '../../lib/rpc-log.ts';
import { DIAGNOSTICS_PATTERN } from '../../lib/server-runtime.ts';
import { type DriverProcess, EVENT_WAIT_MS, type Harness, RPC_DEADLINE_MS } from '../harness.ts';
import { CheckFailure, NotRun, type Phase } from '../types.ts';

const SERVICE_PATH = '/taskmanager.TaskManager';
const CLOCK_SLACK_MS = 5000;
/** Output arrives in milliseconds; this wait only runs long when nothing is logged. */
const LAST_LINE_WAIT_MS = 1000;

interface LoggedCall {
  rpc: string;
  status: string;
}

interface InterceptorRun {
  /** The calls made, with the status each really ended with. */
  calls: LoggedCall[];
  /** Every output line of the host that mentions method= (the learner's log lines). */
  logLines: string[];
  startedAt: number;
  finishedAt: number;
}

/** Sends the same calls once per phase through the learner's interceptor and collects its log lines. */
function interceptorRun(harness: Harness): Promise<InterceptorRun> {
  return harness.once('interceptor-run', async () => {
    const host = await harness.interceptorHost();
    const client = createTaskManagerClient(host.address);
    const firstLine = host.output.length;
    const startedAt = Date.now();
    const calls: LoggedCall[] = [];
    const unary = async (rpc: 'CreateTask' | 'GetTask' | 'ListTasks', request: object) => {
      harness.note(`→ ${rpc} ${JSON.stringify(request)}`);
      const status = await callUnary(client, rpc, request as never, { deadline: deadlineAfter(RPC_DEADLINE_MS) }).then(
        () => 'OK',
        (error: grpc.ServiceError) => grpc.status[error.code] ?? String(error.code),
      );
      harness.note(`← ${status}`);
      calls.push({ rpc, status });
    };
    try {
      await unary('CreateTask', { title: 'Logged' });
      await unary('GetTask', { id: 'missing-for-the-log' });
      await unary('CreateTask', { title: '' });

      harness.note('→ WatchTasks {} (then cancelled by the client)');
      const subscribed = host.waitForLine(/^\[diagnostics\] subscribers=1$/, EVENT_WAIT_MS);
      const stream = client.WatchTasks({});
      stream.on('error', () => {});
      await subscribed;
      const unsubscribed = host.waitForLine(/^\[diagnostics\] subscribers=0$/, EVENT_WAIT_MS);
      stream.cancel();
      await unsubscribed;
      calls.push({ rpc: 'WatchTasks', status: 'CANCELLED' });

      // Output arrives in order: once the last call's line is here, every earlier line is too.
      const lastLogged = host.waitForLine(/method=\S*\/ListTasks(\s|$)/, LAST_LINE_WAIT_MS);
      await unary('ListTasks', {});
      await lastLogged;
    } finally {
      client.close();
    }
    const logLines = host.output.slice(firstLine).filter((line) => !DIAGNOSTICS_PATTERN.test(line) && /(^|\s)method=/.test(line));
    return { calls, logLines, startedAt, finishedAt: Date.now() };
  });
}

/** The method and status of a log line, read leniently (the format check is strict). */
function methodAndStatus(line: string): { rpc: string | undefined; status: string | undefined } {
  const method = /(?:^|\s)method=(\S+)/.exec(line)?.[1];
  return { rpc: method?.split('/').pop(), status: /(?:^|\s)status=(\S+)/.exec(line)?.[1] };
}

function linesFor(run: InterceptorRun, rpc: string): string[] {
  return run.logLines.filter((line) => methodAndStatus(line).rpc === rpc);
}

/** The learner's client.ts in fetch and wiring mode, against the reference server. */
function fetchDriver(harness: Harness): Promise<{ driver: DriverProcess; existing: Task; missingId: string }> {
  return harness.once('fetch-driver', async () => {
    const reference = await harness.reference();
    const existing = reference.running.store.create({ title: 'Fetch me', description: 'phase 4', tags: ['fetch'] });
    const missingId = 'no-such-task-for-fetch';
    const driver = await harness.driver('fetch,wiring', [
      '--address',
      reference.address,
      '--existing',
      existing.id,
      '--missing',
      missingId,
    ]);
    return { driver, existing, missingId };
  });
}

export const phase4: Phase = {
  number: 4,
  title: 'Interceptors and error handling',
  files: ['exercises/interceptors.ts', 'exercises/server.ts', 'exercises/client.ts'],
  prepare(harness) {
    void interceptorRun(harness).catch(() => {});
    void fetchDriver(harness).catch(() => {});
  },
  starting: (harness) => `Starting the reference handlers with your interceptor (${harness.implFile('interceptors.ts')}) and your client…`,
  checks: [
    {
      name: 'The interceptor logs each unary call exactly once, with its final status',
      proves:
        'CreateTask (OK), GetTask (NOT_FOUND), CreateTask (INVALID_ARGUMENT) and ListTasks (OK) each give one line with the status they ended with',
      hint: 'log in the responder’s sendStatus(status, next): status.code is the final code; then call next(status)',
      moreHint:
        'Return `new grpc.ServerInterceptingCall(call, responder)` where the responder has `sendStatus(status, next) { log(status.code); next(status); }`. Take `const startedAt = new Date()` and `const started = performance.now()` when the interceptor runs, and log with `console.log(formatRpcLogLine({ method: methodDescriptor.path, status: status.code, durationMs: performance.now() - started, startedAt }))`. Forgetting next(status) leaves the client waiting',
      async run(harness) {
        const run = await interceptorRun(harness);
        if (run.logLines.length === 0) {
          throw new CheckFailure({
            expected: `one log line per call (${run.calls.length} calls)`,
            received: 'no log line at all',
            hint: 'console.log(formatRpcLogLine({ method, status, durationMs, startedAt })) once per call',
          });
        }
        for (const rpc of ['CreateTask', 'GetTask', 'ListTasks']) {
          const expected = run.calls
            .filter((call) => call.rpc === rpc)
            .map((call) => call.status)
            .sort();
          const logged = linesFor(run, rpc)
            .map((line) => methodAndStatus(line).status ?? '(no status)')
            .sort();
          if (logged.length !== expected.length) {
            throw new CheckFailure({
              expected: `${expected.length} log line(s) for ${rpc} (${expected.join(', ')})`,
              received: `${logged.length}: ${linesFor(run, rpc).join(' | ') || 'none'}`,
              hint:
                logged.length > expected.length
                  ? 'onCancel also runs after a normal end: keep a flag so each call is logged only once'
                  : this.hint,
            });
          }
          if (!isDeepStrictEqual(logged, expected)) {
            throw new CheckFailure({
              expected: `${rpc} logged with status ${expected.join(', ')}`,
              received: `status ${logged.join(', ')}`,
              hint: this.hint,
            });
          }
        }
      },
    },
    {
      name: 'The interceptor logs a cancelled WatchTasks once, as CANCELLED',
      proves: 'a stream the client cancels, which never reaches sendStatus, still gets exactly one line',
      hint: 'start(next) { next({ onCancel() { /* log CANCELLED once */ } }) }',
      moreHint:
        'Add `start(next) { next({ onCancel() { ... } }); }` to the responder: a cancelled call never reaches sendStatus, only onCancel. onCancel also runs after every normal end, so keep a flag: `let logged = false;` and a small `logOnce(code)` that returns early when logged is true; sendStatus calls logOnce(status.code), onCancel calls logOnce(grpc.status.CANCELLED)',
      async run(harness) {
        const run = await interceptorRun(harness);
        if (run.logLines.length === 0) throw new NotRun('the interceptor logs nothing yet (see the first check)');
        const lines = linesFor(run, 'WatchTasks');
        const statuses = lines.map((line) => methodAndStatus(line).status);
        if (lines.length !== 1 || statuses[0] !== 'CANCELLED') {
          throw new CheckFailure({
            expected: 'exactly one log line for WatchTasks, with status=CANCELLED',
            received: lines.length === 0 ? 'no log line for WatchTasks' : lines.join(' | '),
            hint: lines.length > 1 ? 'log only once: onCancel runs once more at the very end' : this.hint,
          });
        }
      },
    },
    {
      name: 'Each log line has method, status, time and duration in the documented format',
      proves: 'every line parses as `method=… status=… duration_ms=… time=…` (PHASES.md, Phase 4) with sensible values',
      hint: 'formatRpcLogLine from lib/rpc-log.ts writes the format for you: method = methodDescriptor.path, durationMs from performance.now(), startedAt = new Date() at the start',
      moreHint:
        'Let formatRpcLogLine (lib/rpc-log.ts) write the line: it prints `rpc method=... status=NAME duration_ms=... time=...`. Give it method: methodDescriptor.path (the full /taskmanager.TaskManager/GetTask), status: the grpc.status number, durationMs in milliseconds from two performance.now() readings, and startedAt: a Date taken when the call started (not when it ended). Debug lines must not contain `method=`',
      async run(harness) {
        const run = await interceptorRun(harness);
        if (run.logLines.length === 0) throw new NotRun('the interceptor logs nothing yet (see the first check)');
        const wallMs = run.finishedAt - run.startedAt;
        for (const line of run.logLines) {
          const parsed = parseRpcLogLine(line);
          if (!parsed?.ok) {
            throw new CheckFailure({
              expected: 'a line in the documented format',
              received: `${line}\n  (${parsed === undefined ? 'not a log line' : parsed.problem})`,
            });
          }
          const { method, time, durationMs } = parsed.entry;
          const problem = !method.startsWith(`${SERVICE_PATH}/`)
            ? `method=${method} should be the full path, e.g. ${SERVICE_PATH}/GetTask (methodDescriptor.path)`
            : Date.parse(time) < run.startedAt - CLOCK_SLACK_MS || Date.parse(time) > run.finishedAt + CLOCK_SLACK_MS
              ? `time=${time} is not the time the call started`
              : durationMs > wallMs + CLOCK_SLACK_MS
                ? `duration_ms=${durationMs} is longer than the whole run (${wallMs} ms): measure in milliseconds`
                : undefined;
          if (problem) throw new CheckFailure({ expected: 'sensible values in each log line', received: `${line}\n  (${problem})` });
        }
      },
    },
    {
      name: 'server.ts installs the logging interceptor',
      proves: 'the interceptors list that server.ts passes to serve() contains loggingInterceptor',
      hint: "in server.ts: import { loggingInterceptor } from './interceptors.ts' and export const interceptors = [loggingInterceptor]",
      moreHint:
        'In exercises/server.ts: `import { loggingInterceptor } from "./interceptors.ts";` and put it in the exported list: `export const interceptors: grpc.ServerInterceptor[] = [loggingInterceptor];`. serve() passes that list to `new grpc.Server({ interceptors })`; the first in the list is the outermost',
      async run(harness) {
        const { driver } = await fetchDriver(harness);
        const message = await driver.waitForMessage(
          (m) => m.type === 'wiring' || (m.type === 'threw' && m.label === 'wiring'),
          EVENT_WAIT_MS,
        );
        if (message?.type === 'threw') {
          throw new CheckFailure({ expected: `${harness.implFile('server.ts')} to load`, received: message.message.split('\n')[0]! });
        }
        if (message?.type !== 'wiring' || !message.installed) {
          throw new CheckFailure({
            expected: 'loggingInterceptor in the `interceptors` list exported by server.ts',
            received:
              message?.type !== 'wiring'
                ? 'no answer from the wiring check'
                : message.exportsInterceptors
                  ? `a list of ${message.count} interceptor(s) without loggingInterceptor`
                  : 'server.ts exports no `interceptors` list',
          });
        }
      },
    },
    {
      name: 'fetchTask returns the task, or NOT_FOUND with the server’s details (client.ts)',
      proves: 'the client catches the failed call and reports its status code and details instead of crashing or hiding them',
      hint: 'try { const { task } = await callUnary(client, "GetTask", { id }); return { ok: true, task } } catch (error) { if (isServiceError(error)) return { ok: false, code: error.code, details: error.details }; throw error }',
      moreHint:
        '`callUnary(client, "GetTask", { id })` (lib/client-runtime.ts) returns a Promise: await it inside try and return `{ ok: true, task }`. A failed call rejects: in catch, `if (isServiceError(error)) return { ok: false, code: error.code, details: error.details };` and re-throw anything else. Keep the server’s details as they are. Remove the `throw new TodoHumanError(...)` line',
      async run(harness) {
        const { driver, existing, missingId } = await fetchDriver(harness);
        const reference = await harness.reference();
        const expectedDetails = await callUnary(reference.client, 'GetTask', { id: missingId }).then(
          () => '',
          (error: grpc.ServiceError) => error.details,
        );
        const outcomes: Array<[label: 'existing' | 'missing', expected: unknown, description: string]> = [
          ['existing', { ok: true, task: existing }, `{ ok: true, task } for the existing task ${existing.id}`],
          [
            'missing',
            { ok: false, code: grpc.status.NOT_FOUND, details: expectedDetails },
            `{ ok: false, code: ${grpc.status.NOT_FOUND} (NOT_FOUND), details: ${JSON.stringify(expectedDetails)} }`,
          ],
        ];
        for (const [label, expected, description] of outcomes) {
          const message = await driver.waitForMessage((m) => 'label' in m && m.label === label, EVENT_WAIT_MS * 2);
          if (!message || message.type === 'timeout') {
            throw new CheckFailure({
              expected: description,
              received: 'fetchTask did not settle within 3 s',
              hint: 'await the call and return from both the success and the catch branch',
            });
          }
          if (message.type === 'todo' || message.type === 'threw') {
            throw new CheckFailure({
              expected: description,
              received: `fetchTask threw: ${message.message.split('\n')[0]}`,
              explanation:
                message.type === 'todo'
                  ? 'fetchTask() is still a TODO(human): see PHASES.md, Phase 4, step 4'
                  : label === 'missing'
                    ? 'a failed call rejects: catch the grpc.ServiceError and return { ok: false, code, details }'
                    : undefined,
            });
          }
          // Compare only the fields of FetchResult: extra fields are the learner's business.
          const value =
            message.type === 'result' && typeof message.value === 'object' && message.value !== null
              ? (message.value as Record<string, unknown>)
              : {};
          const relevant = Object.fromEntries(Object.keys(expected as object).map((key) => [key, value[key]]));
          if (message.type === 'result' && !isDeepStrictEqual(relevant, expected)) {
            throw new CheckFailure({ expected: description, received: JSON.stringify(message.value), hint: this.hint });
          }
        }
      },
    },
  ],
};
