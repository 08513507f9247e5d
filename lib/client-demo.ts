// The client demo of the practice (create → get → update → list → delete → a
// missing task), and the live watcher of `npm run watch`. Both call the
// learner's own watchTasks and fetchTask, so they show how far the learner is.
import * as grpc from '@grpc/grpc-js';
import pc from 'picocolors';
import { expectedToken } from './auth.ts';
import { formatAddress, parseAddress } from './cli.ts';
import {
  callUnary,
  createTaskManagerClient,
  DEFAULT_DEADLINE_MS,
  deadlineAfter,
  type FetchResult,
  isServiceError,
  type RequestOf,
  statusName,
  type Task,
  type TaskEvent,
  type TaskManagerClient,
  TodoHumanError,
  type UnaryMethod,
} from './client-runtime.ts';

/** The functions a learner writes in client.ts. */
export interface ClientFunctions {
  watchTasks(client: TaskManagerClient, onEvent: (event: TaskEvent) => void): grpc.ClientReadableStream<TaskEvent>;
  fetchTask(client: TaskManagerClient, id: string, deadlineMs?: number): Promise<FetchResult>;
  /** Phase 5: a client interceptor that sends the bearer token. */
  bearerToken?(token: string): grpc.Interceptor;
}

export const MISSING_TASK_ID = 'no-such-task';
const EVENT_WAIT_MS = 2000;

export function formatTask(task: Task | null | undefined): string {
  if (!task) return pc.red('(no task in the response)');
  const tags = task.tags.length > 0 ? ` [${task.tags.join(', ')}]` : '';
  return `${pc.bold(task.id)} "${task.title}" ${String(task.status).replace('TASK_STATUS_', '')}${tags} updated ${task.updated_at}`;
}

export function formatEvent(event: TaskEvent): string {
  const type = String(event.event_type).replace('TASK_EVENT_TYPE_', '');
  return `${pc.magenta('event')} ${type.padEnd(7)} ${formatTask(event.task)}`;
}

/**
 * Runs the demo against `client`, printing each step. Returns true when every
 * step worked (the missing-task lookup is expected to fail with NOT_FOUND).
 */
export async function runDemo(
  client: TaskManagerClient,
  { watchTasks, fetchTask }: ClientFunctions,
  print: (line: string) => void = console.log,
  deadlineMs = DEFAULT_DEADLINE_MS,
): Promise<boolean> {
  // Every call gets a deadline: a server that never answers must not hang the demo.
  const call = <M extends UnaryMethod>(method: M, request: RequestOf<M>) =>
    callUnary(client, method, request, { deadline: deadlineAfter(deadlineMs) });
  const step = (text: string) => print(pc.cyan(`→ ${text}`));
  const todo = (error: TodoHumanError) => print(pc.yellow(`⏳ ${error.message}`));

  // Start watching first, so the changes below arrive as live events.
  const events: TaskEvent[] = [];
  let eventArrived = () => {};
  let stream: grpc.ClientReadableStream<TaskEvent> | undefined;
  step('WatchTasks {} (events are printed as they arrive)');
  try {
    stream = watchTasks(client, (event) => {
      events.push(event);
      print(`  ${formatEvent(event)}`);
      eventArrived();
    });
  } catch (error) {
    if (!(error instanceof TodoHumanError)) throw error;
    todo(error);
  }

  try {
    step('CreateTask { title: "Write the proto", tags: ["phase-1"] }');
    const { task: created } = await call('CreateTask', {
      title: 'Write the proto',
      description: 'Messages, enums and the TaskManager service',
      tags: ['phase-1'],
    });
    print(`  created ${formatTask(created)}`);
    const id = created!.id;

    step(`GetTask { id: "${id}" }`);
    const { task: fetched } = await call('GetTask', { id });
    print(`  got ${formatTask(fetched)}`);

    step(`UpdateTask { id: "${id}", status: TASK_STATUS_IN_PROGRESS }`);
    const { task: updated } = await call('UpdateTask', { id, status: 'TASK_STATUS_IN_PROGRESS' });
    print(`  updated ${formatTask(updated)}`);

    step('ListTasks { status: TASK_STATUS_IN_PROGRESS }');
    const { tasks } = await call('ListTasks', { status: 'TASK_STATUS_IN_PROGRESS' });
    print(`  ${tasks.length} task(s) in progress`);
    for (const task of tasks) print(`  - ${formatTask(task)}`);

    step(`DeleteTask { id: "${id}" }`);
    const { task: deleted } = await call('DeleteTask', { id });
    print(`  deleted ${formatTask(deleted)}`);
  } catch (error) {
    stream?.cancel();
    if (!isServiceError(error)) throw error;
    print(pc.red(`  ✘ failed: ${statusName(error.code)}: ${error.details}`));
    if (error.code === grpc.status.UNAVAILABLE) print(pc.yellow('  Is the server running? Start it with: npm run server'));
    if (error.code === grpc.status.DEADLINE_EXCEEDED) {
      print(pc.yellow(`  No answer within ${deadlineMs / 1000} s: does every path of that handler call callback?`));
    }
    return false;
  }

  let ok = true;
  step(`GetTask { id: "${MISSING_TASK_ID}" } (expected to fail)`);
  try {
    const result = await fetchTask(client, MISSING_TASK_ID);
    if (result.ok) {
      print(pc.red(`  ✘ expected NOT_FOUND, but got a task: ${formatTask(result.task)}`));
      ok = false;
    } else {
      print(`  caught the error: code ${pc.bold(statusName(result.code))} (${result.code}), details: ${result.details}`);
    }
  } catch (error) {
    if (!(error instanceof TodoHumanError)) throw error;
    todo(error);
  }

  if (stream) {
    // The three events (created, updated, deleted) travel on their own; give them a moment.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, EVENT_WAIT_MS);
      eventArrived = () => {
        if (events.length >= 3) {
          clearTimeout(timer);
          resolve();
        }
      };
      eventArrived();
    });
    stream.cancel();
    print(`  watcher received ${events.length} event(s) and was cancelled`);
  }
  return ok;
}

/** Prints every event until Ctrl+C: the live half of the two-terminal exercise. */
export function runWatcher(client: TaskManagerClient, { watchTasks }: Pick<ClientFunctions, 'watchTasks'>): void {
  const stream = watchTasks(client, (event) => console.log(formatEvent(event)));
  stream.on('end', () => {
    console.log('the server ended the stream');
    process.exit(0);
  });
  process.on('SIGINT', () => {
    stream.cancel();
    process.exit(0);
  });
}

/** With TASKMANAGER_TOKEN set (Phase 5), every call carries it through the learner's bearerToken. */
function tokenInterceptors({ bearerToken }: ClientFunctions): grpc.Interceptor[] {
  const token = expectedToken();
  if (token === undefined || !bearerToken) return [];
  try {
    return [bearerToken(token)];
  } catch (error) {
    if (!(error instanceof TodoHumanError)) throw error;
    console.log(pc.yellow(`⏳ ${error.message}: calls go out without the token`));
    return [];
  }
}

/** The `main` of client.ts: `--watch` watches, otherwise the demo runs. */
export async function runClientCommand(functions: ClientFunctions): Promise<void> {
  const argv = process.argv.slice(2);
  const address = formatAddress(parseAddress(argv));
  const client = createTaskManagerClient(address, { interceptors: tokenInterceptors(functions) });
  if (argv.includes('--watch')) {
    console.log(`watching tasks on ${address} (Ctrl+C to stop)`);
    try {
      runWatcher(client, functions);
    } catch (error) {
      if (!(error instanceof TodoHumanError)) throw error;
      console.log(pc.yellow(`⏳ ${error.message}`));
      process.exitCode = 1;
      client.close();
    }
    return;
  }
  console.log(`TaskManager client demo against ${address}`);
  const ok = await runDemo(client, functions);
  client.close();
  process.exitCode = ok ? 0 : 1;
}
