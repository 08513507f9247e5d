// Runs the learner's client code for the checker, in its own process so a hang
// or a crash in it cannot take the checker down.
//   --mode watch   --address A                      watchTasks(): report each event
//   --mode fetch   --address A --existing ID --missing ID   fetchTask() on both ids
//   --mode wiring                                   is loggingInterceptor in server.ts's interceptors?
//   --mode auth     --address A --token T           ListTasks through bearerToken(T)
//   --mode deadline --silent-address S --missing ID --deadline-ms N   fetchTask(client, ID, N) on a server that never answers
// Modes can be combined with commas (fetch,wiring). --impl is the implementation folder.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ServiceError } from '@grpc/grpc-js';
import type { ClientFunctions } from '../../lib/client-demo.ts';
import {
  callUnary,
  createTaskManagerClient,
  deadlineAfter,
  statusName,
  type TaskManagerClient,
  TodoHumanError,
} from '../../lib/client-runtime.ts';
import { sendToChecker } from './driver-protocol.ts';

const FETCH_TIMEOUT_MS = 3000;

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: '' },
    impl: { type: 'string', default: 'exercises' },
    address: { type: 'string' },
    existing: { type: 'string' },
    missing: { type: 'string' },
    token: { type: 'string' },
    'deadline-ms': { type: 'string' },
    'silent-address': { type: 'string' },
  },
});
const modes = values.mode.split(',');
const load = (file: string) => import(pathToFileURL(path.join(values.impl, file)).href);

const learnerClient = (await load('client.ts')) as Partial<ClientFunctions>;
sendToChecker({ type: 'ready' });

function reportThrown(label: string, error: unknown): void {
  if (error instanceof TodoHumanError) sendToChecker({ type: 'todo', label, message: error.message });
  else sendToChecker({ type: 'threw', label, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}

let client: TaskManagerClient | undefined;
const connect = () => (client ??= createTaskManagerClient(values.address!));

if (modes.includes('wiring')) {
  try {
    const server = (await load('server.ts')) as { interceptors?: unknown };
    const { loggingInterceptor } = (await load('interceptors.ts')) as { loggingInterceptor?: unknown };
    const list = server.interceptors;
    sendToChecker({
      type: 'wiring',
      exportsInterceptors: Array.isArray(list),
      installed: Array.isArray(list) && list.includes(loggingInterceptor),
      count: Array.isArray(list) ? list.length : 0,
    });
  } catch (error) {
    reportThrown('wiring', error);
  }
}

if (modes.includes('fetch')) {
  for (const [label, id] of [
    ['existing', values.existing],
    ['missing', values.missing],
  ] as const) {
    try {
      if (typeof learnerClient.fetchTask !== 'function') throw new Error('client.ts does not export a function fetchTask');
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, FETCH_TIMEOUT_MS, 'timeout').unref());
      const value = await Promise.race([learnerClient.fetchTask(connect(), id!), timeout]);
      sendToChecker(value === 'timeout' ? { type: 'timeout', label } : { type: 'result', label, value });
    } catch (error) {
      reportThrown(label, error);
    }
  }
}

if (modes.includes('auth')) {
  try {
    if (typeof learnerClient.bearerToken !== 'function') throw new Error('client.ts does not export a function bearerToken');
    const interceptor = learnerClient.bearerToken(values.token!);
    const authClient = createTaskManagerClient(values.address!, { interceptors: [interceptor] });
    const status = await callUnary(authClient, 'ListTasks', {}, { deadline: deadlineAfter(FETCH_TIMEOUT_MS) }).then(
      () => 'OK',
      (error: ServiceError) => statusName(error.code),
    );
    authClient.close();
    sendToChecker({ type: 'result', label: 'auth', value: status });
  } catch (error) {
    reportThrown('auth', error);
  }
}

if (modes.includes('deadline')) {
  try {
    if (typeof learnerClient.fetchTask !== 'function') throw new Error('client.ts does not export a function fetchTask');
    const started = performance.now();
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, FETCH_TIMEOUT_MS, 'timeout').unref());
    const silentClient = createTaskManagerClient(values['silent-address']!);
    const value = await Promise.race([learnerClient.fetchTask(silentClient, values.missing!, Number(values['deadline-ms'])), timeout]);
    silentClient.close();
    const elapsedMs = Math.round(performance.now() - started);
    sendToChecker(
      value === 'timeout'
        ? { type: 'timeout', label: 'deadline' }
        : { type: 'result', label: 'deadline', value: { result: value, elapsedMs } },
    );
  } catch (error) {
    reportThrown('deadline', error);
  }
}

if (modes.includes('watch')) {
  try {
    if (typeof learnerClient.watchTasks !== 'function') throw new Error('client.ts does not export a function watchTasks');
    const stream = learnerClient.watchTasks(connect(), (event) => sendToChecker({ type: 'event', event }));
    if (typeof stream?.cancel !== 'function') {
      sendToChecker({
        type: 'threw',
        label: 'watch',
        message: 'watchTasks did not return the stream (return the value of client.WatchTasks({}))',
      });
    }
    // The open stream keeps this process alive until the checker stops it.
  } catch (error) {
    reportThrown('watch', error);
  }
} else {
  client?.close();
}
