// The client demo of the practice (create → get → update → list → delete → a
// missing task, with a watch stream open the whole time; then an import and a
// sync session, Phase 6), and the live watcher of `npm run watch`. Both only print and pace: every gRPC call is made by the
// functions of client.ts, so the demo shows how far the learner is.
import * as grpc from '@grpc/grpc-js';
import pc from 'picocolors';
import { expectedToken } from './auth.ts';
import { exitAfterOutput } from './cli.ts';
import { type FetchResult, isServiceError, statusName, TodoHumanError } from './client-runtime.ts';
import type {
  CreateTaskRequest,
  ImportTasksResponse,
  ListTasksRequest,
  SyncTasksRequest,
  SyncTasksResponse,
  Task,
  TaskEvent,
  TaskManagerClient,
  UpdateTaskRequest,
} from './proto.ts';
import { addressFromCommandLine } from './server-runtime.ts';

/** The functions a learner writes in client.ts (PHASES.md, Phases 2 to 5). */
export interface ClientFunctions {
  createClient(address: string, options?: grpc.ClientOptions): TaskManagerClient;
  createTask(client: TaskManagerClient, request: CreateTaskRequest): Promise<Task>;
  getTask(client: TaskManagerClient, id: string, options?: grpc.CallOptions): Promise<Task>;
  updateTask(client: TaskManagerClient, request: UpdateTaskRequest): Promise<Task>;
  deleteTask(client: TaskManagerClient, id: string): Promise<Task>;
  listTasks(client: TaskManagerClient, request?: ListTasksRequest): Promise<Task[]>;
  watchTasks(client: TaskManagerClient, onEvent: (event: TaskEvent) => void): grpc.ClientReadableStream<TaskEvent>;
  fetchTask(client: TaskManagerClient, id: string, deadlineMs?: number): Promise<FetchResult>;
  /** Phase 5: a client interceptor that sends the bearer token. */
  bearerToken?(token: string): grpc.Interceptor;
  /** Phase 6: client streaming and bidirectional streaming. */
  importTasks?(client: TaskManagerClient, tasks: CreateTaskRequest[]): Promise<ImportTasksResponse>;
  syncTasks?(client: TaskManagerClient, commands: SyncTasksRequest[], onResponse: (response: SyncTasksResponse) => void): Promise<void>;
}

export const MISSING_TASK_ID = 'no-such-task';
/** How long the demo waits for one step. Not a gRPC deadline: the call itself stays open (Phase 5 adds deadlines). */
export const STEP_WAIT_MS = 5000;
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

/** One message of a SyncTasks session: an event, or the answer to a command. */
export function formatSyncResponse({ event, result }: SyncTasksResponse): string {
  if (event) return formatEvent(event);
  if (!result) return pc.red('(a message with neither event nor answer)');
  const answer = `${pc.cyan('answer')} #${result.command_index}`;
  return result.code === grpc.status.OK
    ? `${answer} OK ${formatTask(result.task)}`
    : `${answer} ${statusName(result.code)}: ${result.details}`;
}

/** A step that took longer than STEP_WAIT_MS: the demo stops waiting for it. */
class NoAnswer extends Error {}

function withinStepTime<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs the demo against `client`, printing each step. Returns true when every
 * step worked (the missing-task lookup is expected to fail with NOT_FOUND) and
 * false when a step failed or got no answer within STEP_WAIT_MS.
 */
export async function runDemo(
  client: TaskManagerClient,
  functions: ClientFunctions,
  { print = console.log, stepWaitMs = STEP_WAIT_MS }: { print?: (line: string) => void; stepWaitMs?: number } = {},
): Promise<boolean> {
  const step = (text: string) => print(pc.cyan(`→ ${text}`));
  /** The result of one learner function, or what went wrong, printed. */
  const attempt = async <T>(run: () => Promise<T>): Promise<{ value: T } | 'todo' | 'failed'> => {
    try {
      return { value: await withinStepTime(run(), stepWaitMs) };
    } catch (error) {
      if (error instanceof TodoHumanError) {
        print(pc.yellow(`⏳ ${error.message}`));
        return 'todo';
      }
      if (error instanceof NoAnswer) {
        print(
          pc.red(
            `  ✘ no answer within ${stepWaitMs / 1000} s: does every path of that handler answer? (this call has no deadline, so it would wait for ever)`,
          ),
        );
      } else if (isServiceError(error)) {
        print(pc.red(`  ✘ failed: ${statusName(error.code)}: ${error.details}`));
        if (error.code === grpc.status.UNAVAILABLE) print(pc.yellow('  Is the server running? Start it with: npm run server'));
      } else {
        print(pc.red(`  ✘ failed: ${error instanceof Error ? error.message : String(error)}`));
      }
      return 'failed';
    }
  };

  // Start watching first, so the changes below arrive as live events.
  const events: TaskEvent[] = [];
  let eventArrived = () => {};
  let stream: grpc.ClientReadableStream<TaskEvent> | undefined;
  step('WatchTasks {} (events are printed as they arrive)');
  const watching = await attempt(async () =>
    functions.watchTasks(client, (event) => {
      events.push(event);
      print(`  ${formatEvent(event)}`);
      eventArrived();
    }),
  );
  if (typeof watching === 'object') stream = watching.value;

  let ok = true;
  const stop = () => {
    stream?.cancel();
    return false;
  };
  step('CreateTask { title: "Write the proto", tags: ["phase-1"] }');
  const created = await attempt(() =>
    functions.createTask(client, {
      title: 'Write the proto',
      description: 'Messages, enums and the TaskManager service',
      tags: ['phase-1'],
    }),
  );
  if (created === 'failed') return stop();
  if (typeof created === 'object') {
    print(`  created ${formatTask(created.value)}`);
    const id = created.value?.id ?? '';

    step(`GetTask { id: "${id}" }`);
    const fetched = await attempt(() => functions.getTask(client, id));
    if (fetched === 'failed') return stop();
    if (typeof fetched === 'object') print(`  got ${formatTask(fetched.value)}`);

    step(`UpdateTask { id: "${id}", status: TASK_STATUS_IN_PROGRESS }`);
    const updated = await attempt(() => functions.updateTask(client, { id, status: 'TASK_STATUS_IN_PROGRESS' }));
    if (updated === 'failed') return stop();
    if (typeof updated === 'object') print(`  updated ${formatTask(updated.value)}`);

    step('ListTasks { status: TASK_STATUS_IN_PROGRESS }');
    const listed = await attempt(() => functions.listTasks(client, { status: 'TASK_STATUS_IN_PROGRESS' }));
    if (listed === 'failed') return stop();
    if (typeof listed === 'object') {
      print(`  ${listed.value.length} task(s) in progress`);
      for (const task of listed.value) print(`  - ${formatTask(task)}`);
    }

    step(`DeleteTask { id: "${id}" }`);
    const deleted = await attempt(() => functions.deleteTask(client, id));
    if (deleted === 'failed') return stop();
    if (typeof deleted === 'object') print(`  deleted ${formatTask(deleted.value)}`);
  } else {
    print(pc.yellow('  (GetTask, UpdateTask, ListTasks and DeleteTask need a created task: skipped)'));
  }

  step(`GetTask { id: "${MISSING_TASK_ID}" } (expected to fail)`);
  const missing = await attempt(() => functions.fetchTask(client, MISSING_TASK_ID));
  if (missing === 'failed') ok = false;
  if (typeof missing === 'object') {
    const result = missing.value;
    if (result.ok) {
      print(pc.red(`  ✘ expected NOT_FOUND, but got a task: ${formatTask(result.task)}`));
      ok = false;
    } else {
      print(`  caught the error: code ${pc.bold(statusName(result.code))} (${result.code}), details: ${result.details}`);
    }
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

  // Phase 6: a stream of requests with one answer, then a session that goes both ways.
  const { importTasks, syncTasks } = functions;
  if (importTasks) {
    step('ImportTasks: a stream of 3 tasks, the second with a blank title');
    const tasks = [{ title: 'Imported 1', tags: ['import'] }, { title: '  ' }, { title: 'Imported 2', tags: ['import'] }];
    const imported = await attempt(() => importTasks(client, tasks));
    if (imported === 'failed') ok = false;
    if (typeof imported === 'object') {
      const { created_count, rejected } = imported.value;
      const refused = rejected.map(({ index, reason }) => `#${index} (${reason})`).join(', ');
      print(`  created ${created_count}, rejected ${refused || 'none'}`);
    }
  }
  if (syncTasks) {
    step(`SyncTasks: create a task, delete "${MISSING_TASK_ID}" (messages are printed as they arrive)`);
    const commands = [{ create: { title: 'Made in a session' } }, { delete: { id: MISSING_TASK_ID } }];
    const synced = await attempt(() => syncTasks(client, commands, (response) => print(`  ${formatSyncResponse(response)}`)));
    if (synced === 'failed') ok = false;
    if (typeof synced === 'object') print('  the server ended the session (OK)');
  }
  return ok;
}

/**
 * Prints every event until Ctrl+C: the live half of the two-terminal exercise.
 * Exits 0 when the server ends the stream or Ctrl+C cancels it, 1 when the
 * stream fails ('status' tells how a stream ended: 'end' also follows a failure).
 */
export function runWatcher(client: TaskManagerClient, { watchTasks }: Pick<ClientFunctions, 'watchTasks'>): void {
  const stream = watchTasks(client, (event) => console.log(formatEvent(event)));
  const cancel = () => stream.cancel();
  process.once('SIGINT', cancel);
  stream.on('status', (status: grpc.StatusObject) => {
    process.off('SIGINT', cancel);
    client.close();
    const { OK, CANCELLED } = grpc.status;
    if (status.code === OK) console.log('the server ended the stream (OK)');
    else if (status.code !== CANCELLED) console.log(`the stream failed: ${statusName(status.code)}: ${status.details}`);
    process.exitCode = status.code === OK || status.code === CANCELLED ? 0 : 1; // CANCELLED: our own Ctrl+C
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
export async function runClientDemo(functions: ClientFunctions): Promise<void> {
  const argv = process.argv.slice(2);
  const address = addressFromCommandLine(argv);
  const client = functions.createClient(address, { interceptors: tokenInterceptors(functions) });
  if (argv.includes('--watch')) {
    console.log(`watching tasks on ${address} (Ctrl+C to stop)`);
    try {
      runWatcher(client, functions);
    } catch (error) {
      if (!(error instanceof TodoHumanError)) throw error;
      console.log(pc.yellow(`⏳ ${error.message}`));
      client.close();
      process.exitCode = 1;
    }
    return;
  }
  console.log(`TaskManager client demo against ${address}`);
  const ok = await runDemo(client, functions);
  client.close();
  // A step without an answer leaves its call open (it has no deadline): stop anyway.
  exitAfterOutput(ok ? 0 : 1);
}
