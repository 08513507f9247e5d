// What a phase's checks work with: the learner's server (a child process), the
// reference server (in this process), hosts that run the learner's client or
// interceptor, RPC helpers with deadlines, and the transcript of each check.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { AUTHORIZATION_KEY, TOKEN_ENV } from '../lib/auth.ts';
import {
  callUnary,
  createTaskManagerClient,
  deadlineAfter,
  isServiceError,
  type RequestOf,
  type ResponseOf,
  statusName,
  type Task,
  type TaskEvent,
  type TaskManagerClient,
  type UnaryMethod,
} from '../lib/client-runtime.ts';
import { displayPath } from '../lib/display-path.ts';
import type { Implementation } from '../lib/implementation.ts';
import { type ChildTsProcess, type ServerProcess, ServerStartError, spawnTs, startServerProcess } from '../lib/process.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { DIAGNOSTICS_ENV, DIAGNOSTICS_PATTERN, type RunningServer, startServer } from '../lib/server-runtime.ts';
import { createTaskManagerHandlers as referenceHandlers } from '../solutions/server.ts';
import { explainStartFailure, explainStatus, withoutNodeInternals } from './explain.ts';
import { DRIVER_MESSAGE_PREFIX, type DriverMessage } from './hosts/driver-protocol.ts';
import { CheckFailure, NotRun, SetupError } from './types.ts';

/** Every RPC the checker sends has this deadline. */
export const RPC_DEADLINE_MS = 2000;
/** How long the checker waits for a streamed event or a log line. */
export const EVENT_WAIT_MS = 2000;

const CHANNEL_OPTIONS: grpc.ChannelOptions = { 'grpc.initial_reconnect_backoff_ms': 50, 'grpc.max_reconnect_backoff_ms': 200 };

export type Target = 'learner' | 'reference';
export type RpcOutcome<R> = { ok: true; response: R } | { ok: false; code: grpc.status; details: string };

export interface HarnessOptions {
  impl: Implementation;
  verbose: boolean;
  /** Where --verbose prints the live transcript. */
  print: (line: string) => void;
  startTimeoutMs: number;
  /** The proto and generated folder phase 1 checks (the repo's own unless a test says otherwise). */
  protoFile: string;
  generatedDir: string;
  /**
   * Phase 5: the learner's server runs with this token required, and the
   * harness's calls carry it. Otherwise the token variable is removed from the
   * server's environment, whatever the learner's shell has set.
   */
  authToken?: string;
}

export type TokenChoice = { token?: string | null };

/** The latest `[diagnostics] subscribers=N` a server printed, and a way to wait for a value. */
export class SubscriberCount {
  value: number | undefined;
  readonly #waiters = new Set<() => void>();

  update(value: number): void {
    this.value = value;
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** True once `predicate(count)` holds, false after `ms` or if the server never reports a count. */
  waitFor(predicate: (count: number) => boolean, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.value !== undefined && predicate(this.value)) finish(true);
      };
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(result);
      };
      const timer = setTimeout(() => finish(false), ms);
      this.#waiters.add(check);
      check();
    });
  }
}

export interface LearnerServer {
  process: ServerProcess;
  client: TaskManagerClient;
  /** Tasks the checker has seen created or updated, and not deleted, on this server. */
  known: Map<string, Task>;
  subscribers: SubscriberCount;
}

export interface ReferenceServer {
  running: RunningServer;
  client: TaskManagerClient;
  address: string;
  subscribers: SubscriberCount;
}

/** A host process running the learner's client code; it reports through `@@checker {json}` lines. */
export interface DriverProcess {
  process: ChildTsProcess;
  messages: DriverMessage[];
  /** The first message (old or new) matching `predicate`, or undefined after `ms` or when the driver exits. */
  waitForMessage(predicate: (message: DriverMessage) => boolean, ms: number): Promise<DriverMessage | undefined>;
}

export interface WatchHandle {
  events: TaskEvent[];
  /** The final status once the stream has ended. */
  status: grpc.StatusObject | undefined;
  /** True once `count` events have arrived; false after `ms` or when the stream ends first. */
  waitForEvents(count: number, ms?: number): Promise<boolean>;
  cancel(): void;
}

export class Harness {
  /** The lines of the check being run: requests, answers, and what the processes printed. */
  transcript: string[] = [];
  readonly #cleanups: Array<() => Promise<void> | void> = [];
  readonly #memo = new Map<string, Promise<unknown>>();

  constructor(readonly options: HarnessOptions) {}

  /** Lines noted while the phase was only being prepared (printed once it starts, with --verbose). */
  #early: string[] | undefined = [];

  /** Adds a line to the transcript (and prints it live with --verbose). */
  note(line: string): void {
    this.transcript.push(line);
    if (!this.options.verbose) return;
    if (this.#early) this.#early.push(line);
    else this.options.print(`      ${line}`);
  }

  /** The phase starts now: --verbose prints what was noted while it was prepared early. */
  begin(): void {
    const early = this.#early ?? [];
    this.#early = undefined;
    for (const line of early) this.options.print(`      ${line}`);
  }

  /** The path of an implementation file, relative to the repo, for messages. */
  implFile(name: string): string {
    return displayPath(path.join(this.options.impl.dir, name));
  }

  /**
   * Starts `start` once per phase and shares its promise with every check that
   * asks for `key` (a failure is reported by whichever check awaits it).
   */
  once<T>(key: string, start: () => Promise<T>): Promise<T> {
    let started = this.#memo.get(key) as Promise<T> | undefined;
    if (!started) {
      started = start();
      started.catch(() => {}); // reported by whichever check awaits it
      this.#memo.set(key, started);
    }
    return started;
  }

  /** The learner's server.ts, started once per phase on a free port. */
  learner(): Promise<LearnerServer> {
    return this.once('learner', async () => {
      const subscribers = new SubscriberCount();
      const server = await this.#startServer(path.join(this.options.impl.dir, 'server.ts'), [], '[your server]', (line) => {
        const match = DIAGNOSTICS_PATTERN.exec(line);
        if (match) subscribers.update(Number(match[1]));
        return match === null;
      });
      const client = createTaskManagerClient(server.address, CHANNEL_OPTIONS);
      this.#cleanups.push(() => client.close());
      return { process: server, client, known: new Map(), subscribers };
    });
  }

  /** The reference server (solutions/server.ts handlers) in this process. */
  reference(): Promise<ReferenceServer> {
    return this.once('reference', async () => {
      const running = await startServer({ createHandlers: referenceHandlers }, { host: '127.0.0.1', port: 0 });
      const subscribers = new SubscriberCount();
      subscribers.update(0);
      running.store.onSubscriberCountChange = (count) => subscribers.update(count);
      const address = `127.0.0.1:${running.port}`;
      const client = createTaskManagerClient(address, CHANNEL_OPTIONS);
      this.#cleanups.push(async () => {
        client.close();
        await running.shutdown(200);
      });
      return { running, client, address, subscribers };
    });
  }

  /** solutions/server.ts as a child process, with this phase's token (Phase 5 grades clients against it). */
  referenceProcess(): Promise<ServerProcess> {
    return this.once('reference-process', () => this.#startServer(path.join(REPO_ROOT, 'solutions/server.ts'), [], '[reference]'));
  }

  /** The reference handlers behind the learner's loggingInterceptor, in a child process. */
  interceptorHost(): Promise<ServerProcess> {
    return this.once('interceptor-host', () =>
      this.#startServer(
        path.join(REPO_ROOT, 'checker/hosts/interceptor-host.ts'),
        ['--interceptors', path.join(this.options.impl.dir, 'interceptors.ts')],
        '[your interceptor]',
      ),
    );
  }

  /** Runs checker/hosts/client-driver.ts on the learner's client.ts in `mode`, once it has loaded. */
  async driver(mode: string, args: string[]): Promise<DriverProcess> {
    const messages: DriverMessage[] = [];
    const waiters = new Set<() => void>();
    const launched = spawnTs(
      path.join(REPO_ROOT, 'checker/hosts/client-driver.ts'),
      ['--mode', mode, '--impl', this.options.impl.dir, ...args],
      {
        echo: (line) => {
          if (line.startsWith(DRIVER_MESSAGE_PREFIX)) {
            messages.push(JSON.parse(line.slice(DRIVER_MESSAGE_PREFIX.length)) as DriverMessage);
            for (const waiter of [...waiters]) waiter();
          } else {
            this.note(`[your client] ${line}`);
          }
        },
      },
    );
    this.#cleanups.push(() => launched.stop(500));
    const driver: DriverProcess = {
      process: launched,
      messages,
      waitForMessage: (predicate, ms) =>
        new Promise((resolve) => {
          const check = () => {
            const found = messages.find(predicate);
            if (found) finish(found);
          };
          const finish = (message: DriverMessage | undefined) => {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(message);
          };
          const timer = setTimeout(() => finish(undefined), ms);
          waiters.add(check);
          void launched.exited.then(() => finish(messages.find(predicate)));
          check();
        }),
    };
    const loaded = await driver.waitForMessage((message) => message.type === 'ready', this.options.startTimeoutMs);
    if (!loaded) {
      const { summary, hint } = explainStartFailure(launched.output);
      throw new SetupError(
        `${this.implFile('client.ts')} could not be loaded: ${summary}`,
        withoutNodeInternals(launched.output).slice(0, 15),
        hint,
      );
    }
    return driver;
  }

  async #startServer(file: string, args: string[], prefix: string, filter: (line: string) => boolean = () => true): Promise<ServerProcess> {
    try {
      const server = await startServerProcess(file, {
        args: [...args, '--host', '127.0.0.1', '--port', '0'],
        env: this.serverEnv(),
        timeoutMs: this.options.startTimeoutMs,
        echo: (line) => {
          if (filter(line)) this.note(`${prefix} ${line}`);
        },
      });
      this.#cleanups.push(() => server.stop(1000));
      return server;
    } catch (error) {
      if (!(error instanceof ServerStartError)) throw error;
      const lines = withoutNodeInternals(error.output.filter((line) => !DIAGNOSTICS_PATTERN.test(line))).slice(0, 15);
      if (error.reason === 'timeout') {
        throw new SetupError(
          `${prefix.slice(1, -1)} did not print "listening on HOST:PORT" within ${this.options.startTimeoutMs / 1000} s`,
          lines,
          'keep the `await serve(...)` block at the end of server.ts, and make sure nothing before it waits for ever',
        );
      }
      const { summary, hint } = explainStartFailure(error.output);
      throw new SetupError(summary, lines, hint);
    }
  }

  /** The environment of the servers this harness starts (diagnostics on, token as the phase wants). */
  serverEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, [DIAGNOSTICS_ENV]: '1' };
    delete env[TOKEN_ENV];
    if (this.options.authToken !== undefined) env[TOKEN_ENV] = this.options.authToken;
    return env;
  }

  /** Metadata for a call: the phase's token unless `token` says otherwise (null: none). */
  metadataFor(target: Target, { token }: TokenChoice = {}): grpc.Metadata {
    const metadata = new grpc.Metadata();
    const chosen = token === undefined ? (target === 'learner' ? this.options.authToken : undefined) : token;
    if (chosen !== null && chosen !== undefined) metadata.set(AUTHORIZATION_KEY, `Bearer ${chosen}`);
    return metadata;
  }

  async #client(target: Target): Promise<TaskManagerClient> {
    return target === 'learner' ? (await this.learner()).client : (await this.reference()).client;
  }

  /** Sends a unary RPC with a deadline and records it; never throws for a gRPC error. */
  async rpc<M extends UnaryMethod>(
    target: Target,
    method: M,
    request: RequestOf<M>,
    tokenChoice: TokenChoice = {},
  ): Promise<RpcOutcome<ResponseOf<M>>> {
    const learner = target === 'learner' ? await this.learner() : undefined;
    const client = learner ? learner.client : await this.#client(target);
    const metadata = this.metadataFor(target, tokenChoice);
    const shownToken = metadata.get(AUTHORIZATION_KEY)[0];
    this.note(`→ ${method} ${JSON.stringify(request)}${shownToken === undefined ? '' : ` (authorization: ${shownToken})`}`);
    try {
      const response = await callUnary(client, method, request, { deadline: deadlineAfter(RPC_DEADLINE_MS) }, metadata);
      this.note(`← OK ${JSON.stringify(response)}`);
      if (learner) track(learner.known, method, request as object, response as object);
      return { ok: true, response };
    } catch (error) {
      if (!isServiceError(error)) throw error;
      // grpc-js words its own deadline message with timings; say it plainly instead.
      const details = error.code === grpc.status.DEADLINE_EXCEEDED ? `no answer within ${RPC_DEADLINE_MS / 1000} s` : error.details;
      this.note(`← ${statusName(error.code)}: ${details}`);
      return { ok: false, code: error.code, details };
    }
  }

  /** The response of a call that must succeed; anything else fails the check with an explanation. */
  async expectOk<M extends UnaryMethod>(target: Target, method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    const outcome = await this.rpc(target, method, request);
    if (outcome.ok) return outcome.response;
    throw new CheckFailure({
      sent: { method, request },
      expected: `${method} to succeed (OK)`,
      received: `${statusName(outcome.code)}: ${outcome.details}`,
      explanation: await this.explain(method, outcome.code, outcome.details),
    });
  }

  /**
   * A call a check needs as a step before what it really tests (e.g. CreateTask
   * before GetTask). If it fails, the check does not run, rather than failing for
   * another handler's reason.
   */
  async needOk<M extends UnaryMethod>(target: Target, method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    const outcome = await this.rpc(target, method, request);
    if (outcome.ok) return outcome.response;
    throw await this.notRunBecause(method, outcome);
  }

  /** Why a check cannot run when `method`, which it builds on, answered with an error. */
  async notRunBecause(method: UnaryMethod, failure: { code: grpc.status; details: string }): Promise<NotRun> {
    const todo = /still a TODO\(human\): see (PHASES\.md, .*)$/.exec(failure.details);
    if (failure.code === grpc.status.UNIMPLEMENTED && todo) return new NotRun(`needs ${method}, still a TODO(human) (${todo[1]})`);
    const why = (await this.explain(method, failure.code, failure.details)) ?? failure.details;
    return new NotRun(`needs ${method} to work first; it answered ${statusName(failure.code)}: ${why}`);
  }

  /** A call that must fail with `code`, with details mentioning each of `mentions` (case-insensitive). */
  async expectStatus<M extends UnaryMethod>(
    target: Target,
    method: M,
    request: RequestOf<M>,
    code: grpc.status,
    mentions: string[],
    hint: string,
  ): Promise<void> {
    const outcome = await this.rpc(target, method, request);
    const expected = `${statusName(code)} with details mentioning ${mentions.map((m) => `"${m}"`).join(' and ')}`;
    if (outcome.ok) {
      throw new CheckFailure({ sent: { method, request }, expected, received: `OK ${summarize(outcome.response)}`, hint });
    }
    if (outcome.code !== code) {
      throw new CheckFailure({
        sent: { method, request },
        expected,
        received: `${statusName(outcome.code)}: ${outcome.details}`,
        explanation: await this.explain(method, outcome.code, outcome.details),
        hint: outcome.code === grpc.status.UNIMPLEMENTED ? undefined : hint,
      });
    }
    const missing = mentions.filter((mention) => !outcome.details.toLowerCase().includes(mention.toLowerCase()));
    if (missing.length > 0) {
      throw new CheckFailure({
        sent: { method, request },
        expected,
        received: `${statusName(outcome.code)} with details "${outcome.details}"`,
        hint: `say what went wrong in details, naming ${missing.map((m) => `"${m}"`).join(' and ')}: the client's user reads it`,
      });
    }
  }

  /** The plain-language cause of an unexpected status, including "your server crashed". */
  async explain(method: string, code: grpc.status, details: string): Promise<string | undefined> {
    if (code === grpc.status.UNAVAILABLE && this.#memo.has('learner')) {
      const exit = await this.learnerExit();
      if (exit !== undefined) return `your server crashed (${exit}): see its last lines of output below`;
    }
    return explainStatus(method, code, details);
  }

  /** Opens WatchTasks on a server and collects what arrives. */
  async watch(target: Target): Promise<WatchHandle> {
    const client = await this.#client(target);
    this.note('→ WatchTasks {}');
    const stream = client.WatchTasks({}, this.metadataFor(target));
    const events: TaskEvent[] = [];
    const waiters = new Set<() => void>();
    const handle: WatchHandle = {
      events,
      status: undefined,
      waitForEvents: (count, ms = EVENT_WAIT_MS) =>
        new Promise((resolve) => {
          const check = () => {
            if (events.length >= count) finish(true);
            else if (handle.status) finish(false);
          };
          const finish = (result: boolean) => {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(result);
          };
          const timer = setTimeout(() => finish(false), ms);
          waiters.add(check);
          check();
        }),
      cancel: () => stream.cancel(),
    };
    const wake = () => {
      for (const waiter of [...waiters]) waiter();
    };
    stream.on('data', (event: TaskEvent) => {
      this.note(`← event ${JSON.stringify(event)}`);
      events.push(event);
      wake();
    });
    stream.on('status', (status: grpc.StatusObject) => {
      if (status.code !== grpc.status.CANCELLED) this.note(`← WatchTasks ended: ${statusName(status.code)} ${status.details}`);
      handle.status = status;
      wake();
    });
    stream.on('error', () => {}); // the status above says it all
    this.#cleanups.push(() => stream.cancel());
    return handle;
  }

  /**
   * The learner server's subscriber count before a check opens watchers. Earlier
   * checks cancelled theirs, and the server reports forgetting them a moment
   * later: wait (briefly) for that, so the count is not stale.
   */
  async watcherBaseline(): Promise<number> {
    const { subscribers } = await this.learner();
    if (subscribers.value === undefined) return 0;
    await subscribers.waitFor((count) => count === 0, 300);
    return subscribers.value;
  }

  /**
   * Waits until the server has surely registered the watchers opened so far: a
   * round trip on the same connection, then (if the server reports it) the
   * subscriber count reaching `atLeast`.
   */
  async settleWatchers(atLeast: number): Promise<void> {
    await this.rpc('learner', 'GetTask', { id: 'checker-barrier' }); // any answer will do, even an error
    const { subscribers } = await this.learner();
    if (subscribers.value !== undefined) await subscribers.waitFor((count) => count >= atLeast, 500);
  }

  /** "exit code 1" (or the signal) if the learner's server has stopped since it started, else undefined. */
  async learnerExit(): Promise<string | undefined> {
    const learner = this.#memo.get('learner') as Promise<LearnerServer> | undefined;
    const server = learner && (await learner.catch(() => undefined));
    if (!server) return undefined;
    const exit = await Promise.race([server.process.exited, Promise.resolve(undefined)]);
    return exit === undefined ? undefined : typeof exit === 'number' ? `exit code ${exit}` : `signal ${exit}`;
  }

  /** Runs `cleanup` when the phase ends (to stop something a phase started itself). */
  onCleanup(cleanup: () => Promise<void> | void): void {
    this.#cleanups.push(cleanup);
  }

  /** Stops everything this phase started. */
  async cleanup(): Promise<void> {
    const cleanups = this.#cleanups.splice(0).reverse();
    await Promise.all(cleanups.map(async (cleanup) => cleanup()));
  }
}

/** Keeps the checker's record of the learner's tasks in step with the answers it saw. */
function track(known: Map<string, Task>, method: UnaryMethod, request: object, response: object): void {
  const task = (response as { task?: Task | null }).task;
  if ((method === 'CreateTask' || method === 'UpdateTask') && task) known.set(task.id, task);
  if (method === 'DeleteTask') known.delete(task?.id ?? (request as { id: string }).id);
}

/** A short description of a response for "received" lines. */
export function summarize(response: unknown): string {
  const text = JSON.stringify(response);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
