// Server bootstrap shared by exercises/server.ts and solutions/server.ts:
// create the gRPC server, register the handlers, bind, announce, shut down cleanly.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { type Address, formatAddress, parseAddress } from './cli.ts';
import { LOADER_OPTIONS, loadTaskManagerProto, type TaskManagerHandlers, taskManagerPackageDefinition } from './proto.ts';
import { TaskStore } from './store.ts';

export type { TaskManagerHandlers } from './proto.ts';
export { TaskStore } from './store.ts';
export { todoHuman } from './todo.ts';

export interface TaskManagerServerSetup {
  /** Builds the RPC handlers around the store they share. */
  createHandlers: (store: TaskStore) => TaskManagerHandlers;
  /** Server interceptors; the first in the list is the outermost. */
  interceptors?: grpc.ServerInterceptor[];
}

export interface RunningServer extends Address {
  server: grpc.Server;
  store: TaskStore;
  health: HealthImplementation;
  /** Ends open watch streams, lets calls in flight finish (at most graceMs), then stops. */
  shutdown(graceMs?: number): Promise<void>;
}

/** The line printed once the server accepts connections; tools wait for it. */
export const LISTENING_PATTERN = /listening on (\S+):(\d+)\s*$/;

/**
 * With this environment variable set to 1 (the checker sets it), the server
 * prints `[diagnostics] subscribers=N` whenever the number of open watchers
 * changes, so a watcher that is never forgotten shows from outside.
 */
export const DIAGNOSTICS_ENV = 'TASKMANAGER_DIAGNOSTICS';
export const DIAGNOSTICS_PATTERN = /^\[diagnostics\] subscribers=(\d+)$/;

const SHUTDOWN_GRACE_MS = 1000;

/** The names the health service answers for: "" is the whole server. */
export const HEALTH_SERVICES = ['', 'taskmanager.TaskManager'] as const;

/**
 * Limits that protect the server (see PHASES.md, "Limits"). A task is a few KB at
 * most under lib/task-rules.ts, so 1 MiB per request is generous; a larger
 * request is refused with RESOURCE_EXHAUSTED before any handler runs.
 * Keepalive pings find watchers whose network vanished without a word.
 */
export const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': 1024 * 1024,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
};

/**
 * One safe pattern for every handler, the learner's included: an exception
 * thrown by a handler, or a rejection of the promise an async handler returns
 * (which grpc-js ignores, so Node would crash the process), is logged and
 * answered with INTERNAL. The store is untouched by a handler that failed
 * before it called the store, and a stored task is never lost.
 */
export function guardHandlers(handlers: TaskManagerHandlers): TaskManagerHandlers {
  const guarded: Record<string, grpc.UntypedHandleCall> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    guarded[name] = (call: { emit(event: 'error', status: object): void }, callback?: grpc.sendUnaryData<unknown>) => {
      const fail = (error: unknown) => {
        console.error(`${name} handler failed:`, error);
        const status = { code: grpc.status.INTERNAL, details: `${name} failed inside the server (the server log has the error)` };
        if (callback)
          callback(status); // ignored by grpc-js if the handler had already answered
        else call.emit('error', status);
      };
      try {
        const result: unknown = (handler as (call: unknown, callback?: unknown) => unknown)(call, callback);
        if (result instanceof Promise) result.catch(fail);
      } catch (error) {
        fail(error);
      }
    };
  }
  return guarded as TaskManagerHandlers;
}

/** Starts a TaskManager server and resolves once it is bound (port 0 picks a free port). */
export async function startServer(setup: TaskManagerServerSetup, { host, port }: Address, store = new TaskStore()): Promise<RunningServer> {
  const server = new grpc.Server({ ...SERVER_OPTIONS, interceptors: setup.interceptors ?? [] });
  const { taskmanager } = loadTaskManagerProto();
  server.addService(taskmanager.TaskManager.service, guardHandlers(setup.createHandlers(store)));

  // The standard health service (grpc.health.v1): SERVING while up, NOT_SERVING
  // once shutdown starts, so a load balancer stops sending calls first.
  const health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((name) => [name, 'SERVING'])));
  health.addToServer(server);
  // Server reflection lets grpcurl, grpcui, Postman or Evans discover the
  // services without the .proto file; it lists what it is given, health included.
  const healthDefinition = protoLoader.loadSync(healthProtoPath, LOADER_OPTIONS);
  new ReflectionService({ ...taskManagerPackageDefinition(), ...healthDefinition }).addToServer(server);

  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(formatAddress({ host, port }), grpc.ServerCredentials.createInsecure(), (error, actualPort) =>
      error ? reject(error) : resolve(actualPort),
    );
  });

  let stopping: Promise<void> | undefined;
  const shutdown = (graceMs = SHUTDOWN_GRACE_MS) =>
    (stopping ??= new Promise<void>((resolve) => {
      for (const name of HEALTH_SERVICES) health.setStatus(name, 'NOT_SERVING');
      store.close(); // watch handlers end their streams here, or tryShutdown would wait for ever
      const forceTimer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(forceTimer);
        resolve();
      });
    }));

  return { server, store, health, host, port: boundPort, shutdown };
}

/**
 * The `main` of a server file: address from --host/--port or PORT (default
 * localhost:50051), one "listening on HOST:PORT" line when ready, and a clean
 * stop on Ctrl+C or SIGTERM (a second signal stops at once).
 */
export async function serve(setup: TaskManagerServerSetup): Promise<void> {
  let running: RunningServer;
  const store = new TaskStore();
  if (process.env[DIAGNOSTICS_ENV] === '1') {
    store.onSubscriberCountChange = (count) => console.log(`[diagnostics] subscribers=${count}`);
  }
  try {
    const address = parseAddress(process.argv.slice(2));
    running = await startServer(setup, address, store);
  } catch (error) {
    console.error(explainStartFailure(error));
    process.exit(1);
  }
  console.log(`TaskManager server listening on ${formatAddress(running)}`);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      running.server.forceShutdown();
      process.exit(1);
    }
    console.log(`${signal} received: shutting down`);
    void running.shutdown().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function explainStartFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/EADDRINUSE|No address added/i.test(message)) {
    return `Could not listen: the port is already in use. An old server may still be running: stop it (Ctrl+C in its terminal) or pick another port with --port.\n(${message})`;
  }
  return `Could not start the server: ${message}`;
}
