// What a TaskManager server file needs besides gRPC itself: limits, a safety net
// for handlers, health and reflection for tools, the address from the command
// line, and a clean stop on Ctrl+C. exercises/server.ts and solutions/server.ts
// call these by name; the gRPC calls (new grpc.Server, addService, bindAsync)
// are written in those files.

import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { formatAddress, parseAddress } from './cli.ts';
import { LOADER_OPTIONS } from './proto.ts';
import { DIAGNOSTICS_ENV, diagnosticsCommand, diagnosticsLine, listeningLine } from './protocol.ts';
import type { TaskStore } from './store.ts';

/** How long a graceful stop lets calls in flight finish before it cuts them off. */
export const SHUTDOWN_GRACE_MS = 1000;

/** The names the health service answers for: "" is the whole server. */
export const HEALTH_SERVICES = ['', 'taskmanager.TaskManager'] as const;

/**
 * Limits that protect the server (PHASES.md, "How the reference server handles
 * faults"). A task is a few KB at most under lib/task-rules.ts, so 1 MiB per
 * request is generous; grpc-js refuses a larger request with RESOURCE_EXHAUSTED
 * before any handler runs. Keepalive pings find clients whose network vanished
 * without a word.
 */
export const SERVER_OPTIONS = {
  'grpc.max_receive_message_length': 1024 * 1024,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
} satisfies grpc.ServerOptions;

type AnyHandler = (call: never, callback?: never) => unknown;

/**
 * A safety net around every handler. On its own, grpc-js turns a synchronous
 * throw into UNKNOWN "Unknown error" (also after the handler answered OK: the
 * OK goes out asynchronously and the error overtakes it), sends the later of two
 * answers if the first was OK, and ignores the promise an async handler returns,
 * so a rejection there crashes the whole process. Here the first answer stands:
 * a second one is ignored and logged, a handler that fails before it answered
 * answers INTERNAL (its error goes to the server's log), and one that fails
 * after it answered keeps its answer, the error only logged — overwriting an OK
 * would tell a client that a stored task was not stored.
 */
export function catchHandlerErrors<Handlers extends object>(handlers: Handlers): Handlers {
  // For the grader: an answer a handler gave that never reaches the client was held by an interceptor.
  const reportAnswers = process.env[DIAGNOSTICS_ENV] === '1';
  const guarded: Record<string, unknown> = {};
  for (const [name, handler] of Object.entries(handlers) as Array<[string, AnyHandler]>) {
    guarded[name] = (call: GuardedCall, callback?: grpc.sendUnaryData<unknown>) => {
      // Per call, only what every call needs: the answer's wrapper. The rest runs only when something fails.
      const state = { answered: false };
      const answer: grpc.sendUnaryData<unknown> | undefined =
        callback &&
        ((error, value) => {
          if (state.answered) {
            console.error(`${name} answered twice: the first answer stands, the second is ignored`);
            return;
          }
          if (reportAnswers) console.log(diagnosticsLine.format({ answered: name }));
          state.answered = true;
          callback(error, value);
        });
      try {
        const result = (handler as (call: unknown, callback?: unknown) => unknown)(call, answer);
        if (result instanceof Promise) result.catch((error: unknown) => handlerFailed(name, error, call, state, answer));
      } catch (error) {
        handlerFailed(name, error, call, state, answer);
      }
    };
  }
  return guarded as Handlers;
}

/** A handler threw (or its promise rejected): INTERNAL if it had not answered yet, else only the log. */
function handlerFailed(
  name: string,
  error: unknown,
  call: GuardedCall,
  { answered }: { answered: boolean },
  answer: grpc.sendUnaryData<unknown> | undefined,
): void {
  if (answered || call.writableEnded || call.cancelled) {
    console.error(`${name} failed after it had answered (the answer stands):`, error);
    return;
  }
  console.error(`${name} handler failed:`, error);
  const status = { code: grpc.status.INTERNAL, details: `${name} failed inside the server (the server log has the error)` };
  if (answer) answer(status);
  else call.emit('error', status);
}

/** The parts of any server call the safety net looks at. */
interface GuardedCall {
  cancelled: boolean;
  /** Set on streaming calls once the handler called end(). */
  writableEnded?: boolean;
  emit(event: 'error', status: object): boolean;
}

/**
 * Registers the standard health service (grpc.health.v1: SERVING now,
 * NOT_SERVING once shutdown starts) and server reflection, so grpcurl, grpcui,
 * Postman or Evans can use the server without the .proto file.
 */
export function addHealthAndReflection(server: grpc.Server, packageDefinition: protoLoader.PackageDefinition): HealthImplementation {
  const health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((name) => [name, 'SERVING'])));
  health.addToServer(server);
  // Reflection lists what it is given: the TaskManager definitions and health's own.
  new ReflectionService({ ...packageDefinition, ...loadSync(healthProtoPath, LOADER_OPTIONS) }).addToServer(server);
  return health;
}

/**
 * "host:port" to listen on: --host and --port (or PORT), default localhost:50051.
 * A port that is not a number ends the program with one line saying so.
 */
export function addressFromCommandLine(argv: readonly string[] = process.argv.slice(2)): string {
  try {
    return formatAddress(parseAddress(argv));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    // Nothing is written to stdout yet, so exiting at once loses no output.
    process.exit(2);
  }
}

export interface ServingServer {
  server: grpc.Server;
  store: TaskStore;
  health: HealthImplementation;
}

/**
 * Stops a server cleanly: health says NOT_SERVING, the store closes (each watch
 * handler ends its stream with OK there, or tryShutdown would wait for ever),
 * calls in flight get `graceMs` to finish, then whatever is left is cut off.
 */
export function shutdownGracefully({ server, store, health }: ServingServer, graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const name of HEALTH_SERVICES) health.setStatus(name, 'NOT_SERVING');
    store.close();
    const forceTimer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(forceTimer);
      resolve();
    });
  });
}

/**
 * Once bindAsync has bound `port`: prints the "listening on" line that tools
 * wait for, reports open watchers to the grader when it asks (DIAGNOSTICS_ENV),
 * and stops cleanly on Ctrl+C or SIGTERM (a second signal stops at once).
 */
export function serveUntilStopped(serving: ServingServer, address: string, port: number): void {
  const host = address.slice(0, address.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
  console.log(listeningLine.format(host, port));
  if (process.env[DIAGNOSTICS_ENV] === '1') {
    serving.store.onSubscriberCountChange = (count) => console.log(diagnosticsLine.format({ subscribers: count }));
    // The grader's commands come on stdin; reading it must not keep the process alive.
    createInterface({ input: process.stdin }).on('line', (line) => {
      if (line.trim() !== diagnosticsCommand.closeStore) return;
      serving.store.close();
      console.log(diagnosticsLine.format({ store: 'closed' }));
    });
    // A pipe has unref (a file or a closed stdin has not, and ends by itself).
    (process.stdin as { unref?: () => void }).unref?.();
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      serving.server.forceShutdown();
      process.exit(1); // a second Ctrl+C: stop at once, as promised
    }
    console.log(`${signal} received: shutting down`);
    void shutdownGracefully(serving).then(() => {
      // Every call and stream is closed now: the process ends by itself, after its output is written.
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.exitCode = 0;
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** When bindAsync fails: one line saying why (usually an old server on the port), and exit code 1. */
export function cannotListen(address: string, error: Error): void {
  const inUse = /EADDRINUSE|No address added/i.test(error.message);
  console.error(
    inUse
      ? `Could not listen on ${address}: the port is already in use. An old server may still be running: stop it (Ctrl+C in its terminal) or pick another port with --port.`
      : `Could not listen on ${address}: ${error.message}`,
  );
  process.exitCode = 1;
}
