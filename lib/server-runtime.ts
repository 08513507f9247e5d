// Server bootstrap shared by exercises/server.ts and solutions/server.ts:
// create the gRPC server, register the handlers, bind, announce, shut down cleanly.
import * as grpc from '@grpc/grpc-js';
import { formatAddress, parseAddress, type Address } from './cli.ts';
import { loadTaskManagerProto, type TaskManagerHandlers } from './proto.ts';
import { TaskStore } from './store.ts';

export { TaskStore } from './store.ts';
export { todoHuman } from './todo.ts';
export type { TaskManagerHandlers } from './proto.ts';

export interface TaskManagerServerSetup {
  /** Builds the RPC handlers around the store they share. */
  createHandlers: (store: TaskStore) => TaskManagerHandlers;
  /** Server interceptors; the first in the list is the outermost. */
  interceptors?: grpc.ServerInterceptor[];
}

export interface RunningServer extends Address {
  server: grpc.Server;
  store: TaskStore;
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

const SHUTDOWN_GRACE_MS = 1500;

/** Starts a TaskManager server and resolves once it is bound (port 0 picks a free port). */
export async function startServer(
  setup: TaskManagerServerSetup,
  { host, port }: Address,
  store = new TaskStore(),
): Promise<RunningServer> {
  const server = new grpc.Server({ interceptors: setup.interceptors ?? [] });
  const { taskmanager } = loadTaskManagerProto();
  server.addService(taskmanager.TaskManager.service, setup.createHandlers(store));

  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(formatAddress({ host, port }), grpc.ServerCredentials.createInsecure(), (error, actualPort) =>
      error ? reject(error) : resolve(actualPort),
    );
  });

  let stopping: Promise<void> | undefined;
  const shutdown = (graceMs = SHUTDOWN_GRACE_MS) =>
    (stopping ??= new Promise<void>((resolve) => {
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

  return { server, store, host, port: boundPort, shutdown };
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
