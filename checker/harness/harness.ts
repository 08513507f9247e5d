// What the checks work with, knowing nothing about any single phase: the
// learner's server (a child process, one per run, restarted if it stopped), the
// reference server (in this process), the client host (a child process that runs
// the phases' driver scenarios on the learner's client code), RPCs with
// deadlines, the transcript of each check, and the cleanup at the end.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { AUTHORIZATION_KEY, TOKEN_ENV } from '../../lib/auth.ts';
import {
  callUnary,
  createTaskManagerClient,
  deadlineAfter,
  isServiceError,
  type RequestOf,
  type ResponseOf,
  statusName,
  type TaskManagerClient,
  type UnaryMethod,
} from '../../lib/client-runtime.ts';
import { displayFile, type Implementation } from '../../lib/implementation.ts';
import {
  type ChildTsProcess,
  exitedWithin,
  type ServerProcess,
  ServerStartError,
  spawnCompiled,
  startServerProcess,
} from '../../lib/process.ts';
import { DIAGNOSTICS_ENV, diagnosticsCommand, diagnosticsLine, listeningLine, todoMessage } from '../../lib/protocol.ts';
import type { ExportsReport, ModuleReport } from './builtin-scenarios.ts';
import { explainStartFailure, explainStatus, withoutNodeInternals } from './explain.ts';
import { CheckFailure, NotRun, SetupError } from './failures.ts';
import { type HostMessage, hostCommand, hostMessage } from './host-protocol.ts';
import { type InProcessServer, startInProcessServer } from './in-process-server.ts';
import type { CollectedStream } from './streams.ts';

/** Every RPC the grader sends has this deadline. */
export const RPC_DEADLINE_MS = 2000;
/** How long the grader waits for a streamed message, a log line or a driver's report. */
export const EVENT_WAIT_MS = 2000;
/**
 * After the learner's handler reports its answer, how long the answer may take
 * to reach the grader before the grader says an interceptor held it.
 */
const ANSWER_DELIVERY_MS = 1000;

/** How long the client host may take to load (it is not the learner's server start that startTimeoutMs bounds). */
const HOST_START_TIMEOUT_MS = 8000;

const CLIENT_HOST = fileURLToPath(new URL('./client-host.ts', import.meta.url));

/**
 * The files the client host may import by a path it learns at run time: the
 * implementation's own files and every scenario module (lib/compiled-import.ts).
 */
function hostImports(implDir: string): string[] {
  const phasesDir = fileURLToPath(new URL('../phases/', import.meta.url));
  const drivers = readdirSync(phasesDir)
    .map((phase) => path.join(phasesDir, phase, 'driver.ts'))
    .filter((file) => existsSync(file));
  const own = readdirSync(implDir)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(implDir, name));
  return [...own, ...drivers, fileURLToPath(new URL('./builtin-scenarios.ts', import.meta.url))].sort();
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = { 'grpc.initial_reconnect_backoff_ms': 50, 'grpc.max_reconnect_backoff_ms': 200 };

export type Target = 'learner' | 'reference';
export type RpcOutcome<R> = { ok: true; response: R } | { ok: false; code: grpc.status; details: string };

export interface HarnessOptions {
  impl: Implementation;
  verbose: boolean;
  /** Where --verbose prints the live transcript. */
  print: (line: string) => void;
  startTimeoutMs: number;
  /** The proto and generated folder Phase 1 checks (the repo's own unless a test says otherwise). */
  protoFile: string;
  generatedDir: string;
  /**
   * The learner's server runs with this token set (TASKMANAGER_TOKEN), and the
   * grader's calls carry it, so the same server serves every phase: before
   * Phase 5 nothing checks it, and a token no one asks for changes nothing.
   */
  token: string;
}

/** The latest subscriber count a server reported, and a way to wait for a value. */
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
  address: string;
  subscribers: SubscriberCount;
  /** Handlers that reported an answer (diagnostics), each time: an answer that never arrives was held by an interceptor. */
  onAnswered(listener: (method: string) => void): () => void;
}

export interface ReferenceServer extends InProcessServer {
  subscribers: SubscriberCount;
}

/** One scenario running in the client host. */
export interface ScenarioRun {
  messages: HostMessage[];
  /** The first message (old or new) `predicate` accepts, or undefined after `ms` or when the scenario ends without one. */
  waitFor(predicate: (message: HostMessage) => boolean, ms: number): Promise<HostMessage | undefined>;
  /** A report with this label (see waitFor). */
  report(label: string, ms?: number): Promise<HostMessage | undefined>;
  /** Resolves when the scenario has returned, or the host has stopped. */
  finished: Promise<void>;
  /** How the host process ended if it did ("exit code 1"): the learner's code crashed it. */
  crashed(): string | undefined;
}

interface ClientHost {
  process: ChildTsProcess;
  run(driver: string, scenario: string, args: Record<string, unknown>): ScenarioRun;
}

export class Harness {
  /** The lines of the check being run: requests, answers, and what the processes printed. */
  transcript: string[] = [];
  /** What the learner's own code printed during the check being run. */
  learnerOutput: string[] = [];
  readonly #cleanups: Array<() => Promise<void> | void> = [];
  readonly #memo = new Map<string, Promise<unknown>>();
  #commandIds = 0;
  /** Unary calls to the learner's server in flight, by method. */
  readonly #inFlight = new Map<string, number>();

  constructor(readonly options: HarnessOptions) {}

  /** A check starts: its transcript starts empty. */
  beginCheck(): void {
    this.transcript = [];
    this.learnerOutput = [];
  }

  /** Adds a line to the transcript (and prints it live with --verbose). */
  note(line: string): void {
    this.transcript.push(line);
    if (this.options.verbose) this.options.print(`      ${line}`);
  }

  /** A line the learner's code printed: in the transcript, and kept as the learner's output. */
  #noteOutput(who: string, line: string): void {
    this.learnerOutput.push(line);
    this.note(`[${who}] ${line}`);
  }

  /** A file as the learner sees it (lib/implementation.ts displayFile). */
  displayFile(file: string): string {
    return displayFile(file, this.options.impl);
  }

  /**
   * Starts `start` once per run and shares its promise with every check that
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

  /** The learner's server.ts on a free port; started again if the one before has stopped. */
  async learner(): Promise<LearnerServer> {
    const current = this.#memo.get('learner') as Promise<LearnerServer> | undefined;
    if (current && (await this.#exitOf(current)) !== undefined) this.#memo.delete('learner');
    return this.once('learner', async () => {
      const subscribers = new SubscriberCount();
      const answerListeners = new Set<(method: string) => void>();
      const server = await this.#startServer(path.join(this.options.impl.dir, 'server.ts'), 'your server', 'server.ts', (line) => {
        const diagnostic = diagnosticsLine.parse(line);
        if (diagnostic && 'subscribers' in diagnostic) subscribers.update(diagnostic.subscribers);
        if (diagnostic && 'answered' in diagnostic) for (const listener of [...answerListeners]) listener(diagnostic.answered);
        // The grader's own lines (diagnostics, "listening on") are not the learner's output.
        return diagnostic === undefined && listeningLine.parse(line) === undefined;
      });
      const client = createTaskManagerClient(server.address, CHANNEL_OPTIONS);
      this.#cleanups.push(() => client.close());
      return {
        process: server,
        client,
        address: server.address,
        subscribers,
        onAnswered(listener) {
          answerListeners.add(listener);
          return () => answerListeners.delete(listener);
        },
      };
    });
  }

  /**
   * Asks the learner's server to close its store, as a shutdown does, without
   * stopping it (lib/protocol.ts diagnosticsCommand). True once the server says
   * it did; false when it does not answer within `ms` (a server with a main()
   * of its own, that does not take the command).
   */
  async closeLearnerStore(ms: number): Promise<boolean> {
    const { process: server } = await this.learner();
    const closed = server.waitForLine((line) => {
      const diagnostic = diagnosticsLine.parse(line);
      return diagnostic !== undefined && 'store' in diagnostic;
    }, ms);
    server.child.stdin?.write(`${diagnosticsCommand.closeStore}\n`);
    return (await closed) !== undefined;
  }

  /**
   * Shuts the learner's server down (shutDownLearner) while `stream`, a call to
   * it (`what`: "WatchTasks stream"), is open; fails unless the stream was open
   * until then and ends with OK, and the server, if it had to be stopped for
   * real, exited cleanly.
   */
  async expectEndsAtShutdown(stream: CollectedStream<unknown>, method: string, what: string): Promise<void> {
    if (stream.status) {
      throw new CheckFailure({
        expected: `a ${what} that stays open (then the grader shuts your server down)`,
        received: `it ended at once with ${statusName(stream.status.code)}: ${stream.status.details}`,
        explanation: await this.explain(method, stream.status.code, stream.status.details),
      });
    }
    const stopped = await this.shutDownLearner();
    const status = await stream.waitForEnd(EVENT_WAIT_MS);
    if (status?.code !== grpc.status.OK) {
      // A connection that dropped: the server may have crashed as the store closed (its output says why).
      const crashed = status && (await this.learnerExit(500));
      throw new CheckFailure({
        expected: `the open ${what} to end with OK when the store closes at shutdown`,
        received: status ? `it ended with ${statusName(status.code)}: ${status.details}` : 'it was still open',
        explanation: crashed
          ? `your server crashed (${crashed}) when the store closed: the error is in its output above`
          : 'nothing ended it when the store closed, so a shutdown would have to cut it off',
        hint: crashed
          ? 'find the first error in your server’s output: an exception, or a rejected promise that nothing catches, ends the process'
          : undefined,
      });
    }
    if (stopped !== undefined) {
      throw new CheckFailure({
        expected: 'your server to exit with code 0 after SIGTERM',
        received: stopped,
        hint: 'keep main() at the end of server.ts as it was given: serveUntilStopped stops the server cleanly',
      });
    }
  }

  /**
   * What a shutdown does first: the learner's store closes, and the server runs
   * on (closeLearnerStore). A server with a main() of its own does not take that
   * command: it is stopped for real with SIGTERM, as Ctrl+C would, and the
   * answer says how it exited when that was not cleanly ("exit code 1", "still
   * running after 4 s"); undefined when all went as a shutdown should.
   */
  async shutDownLearner(): Promise<string | undefined> {
    this.note('(the grader closes your server’s store, as a shutdown does)');
    if (await this.closeLearnerStore(EVENT_WAIT_MS / 2)) return undefined;
    this.note('(no answer: the grader stops your server with SIGTERM instead)');
    const exit = await this.stopLearner(4000);
    const stopped = exit === undefined ? 'still running after 4 s' : typeof exit === 'number' ? `exit code ${exit}` : exit;
    return stopped === 'exit code 0' ? undefined : stopped;
  }

  /** Stops the learner's server with SIGTERM (a graceful stop) and resolves with how it exited, or undefined after `ms`. */
  async stopLearner(ms: number): Promise<number | string | undefined> {
    const current = this.#memo.get('learner') as Promise<LearnerServer> | undefined;
    const learner = current && (await current.catch(() => undefined));
    if (!learner) return undefined;
    this.#memo.delete('learner'); // a deliberate stop: the next learner() starts another
    learner.client.close();
    learner.process.child.kill('SIGTERM');
    const exit = await exitedWithin(learner.process, ms);
    if (exit === undefined) await learner.process.stop(0);
    return exit;
  }

  /**
   * How the learner's current server exited ("exit code 1"), waiting up to
   * `waitMs` for it; undefined while it runs (or before it started).
   */
  async learnerExit(waitMs = 0): Promise<string | undefined> {
    const current = this.#memo.get('learner') as Promise<LearnerServer> | undefined;
    const exit = current && (await this.#exitOf(current, waitMs));
    return exit === undefined ? undefined : typeof exit === 'number' ? `exit code ${exit}` : `signal ${exit}`;
  }

  async #exitOf(server: Promise<LearnerServer>, waitMs = 0): Promise<number | string | undefined> {
    const started = await server.catch(() => undefined);
    return started && exitedWithin(started.process, waitMs);
  }

  /** The reference server (solutions/server.ts handlers) in this process. */
  reference(): Promise<ReferenceServer> {
    return this.once('reference', async () => {
      const running = await startInProcessServer({ channelOptions: CHANNEL_OPTIONS });
      const subscribers = new SubscriberCount();
      subscribers.update(0);
      running.store.onSubscriberCountChange = (count) => subscribers.update(count);
      this.#cleanups.push(() => running.stop());
      return { ...running, subscribers };
    });
  }

  #clientHost(): Promise<ClientHost> {
    return this.once('client-host', async () => {
      const waiters = new Set<(message: HostMessage) => void>();
      const launched = await spawnCompiled(CLIENT_HOST, ['--impl', this.options.impl.dir], {
        lazyFiles: hostImports(this.options.impl.dir),
        // Authentication off, as in Phases 2 to 4: what the learner's code sees of a token comes from its arguments.
        env: withoutToken(),
        stdin: 'pipe',
        echo: (line) => {
          const message = hostMessage.parse(line);
          if (message) for (const waiter of [...waiters]) waiter(message);
          else this.#noteOutput('your code', line);
        },
      });
      this.#cleanups.push(() => {
        launched.child.stdin?.end();
        return launched.stop(500);
      });
      const first = await new Promise<HostMessage | undefined>((resolve) => {
        // The host loads the learner's client.ts: only a client.ts that waits for ever at import would take this long.
        const timer = setTimeout(() => finish(undefined), Math.max(this.options.startTimeoutMs, HOST_START_TIMEOUT_MS));
        const finish = (message: HostMessage | undefined) => {
          clearTimeout(timer);
          waiters.delete(finish);
          resolve(message);
        };
        waiters.add(finish);
        void launched.exited.then(() => finish(undefined));
      });
      if (first?.type !== 'ready') {
        // The host's own protocol lines are not its output.
        const printed = launched.output.filter((line) => hostMessage.parse(line) === undefined);
        const output = first?.type === 'load-failed' ? [...printed, ...first.message.split('\n')] : printed;
        const { summary, hint } = explainStartFailure(output);
        throw new SetupError(
          `${this.displayFile('client.ts')} could not be loaded: ${summary}`,
          withoutNodeInternals(output).slice(0, 15),
          hint,
          'client.ts',
        );
      }
      const host: ClientHost = {
        process: launched,
        run: (driver, scenario, args) => {
          const id = ++this.#commandIds;
          const messages: HostMessage[] = [];
          const listeners = new Set<() => void>();
          let finish!: () => void;
          const finished = new Promise<void>((resolve) => (finish = resolve));
          let exit: string | undefined;
          void launched.exited.then((status) => {
            exit = typeof status === 'number' ? `exit code ${status}` : `signal ${status}`;
            finish();
          });
          waiters.add((message) => {
            if (!('id' in message) || message.id !== id) return;
            messages.push(message);
            if (message.type === 'done') finish();
            for (const listener of [...listeners]) listener();
          });
          const waitFor: ScenarioRun['waitFor'] = (predicate, ms) =>
            new Promise((resolve) => {
              const check = () => {
                const found = messages.find(predicate);
                if (found) done(found);
              };
              const done = (message: HostMessage | undefined) => {
                clearTimeout(timer);
                listeners.delete(check);
                resolve(message);
              };
              const timer = setTimeout(() => done(undefined), ms);
              listeners.add(check);
              void finished.then(() => done(messages.find(predicate)));
              check();
            });
          launched.child.stdin?.write(hostCommand.format({ id, driver, scenario, args }));
          return {
            messages,
            waitFor,
            report: (label, ms = EVENT_WAIT_MS) => waitFor((m) => 'label' in m && m.label === label, ms),
            finished,
            crashed: () => exit,
          };
        },
      };
      return host;
    });
  }

  /**
   * Runs `scenario` of a phase's driver module (pass `new URL('./driver.ts',
   * import.meta.url)`) in the client host, on the learner's client code. The host
   * starts once per run, again if it stopped (a crash in the learner's code).
   */
  async runScenario(driver: URL, scenario: string, args: Record<string, unknown> = {}): Promise<ScenarioRun> {
    const current = this.#memo.get('client-host') as Promise<ClientHost> | undefined;
    const running = current && (await current.catch(() => undefined));
    if (running && (await Promise.race([running.process.exited, Promise.resolve(undefined)])) !== undefined) {
      this.#memo.delete('client-host');
    }
    const host = await this.#clientHost();
    return host.run(fileURLToPath(driver), scenario, args);
  }

  /**
   * What a file of the implementation exports (loaded in the client host, so a
   * broken file cannot harm the grader), e.g. { interceptors: "array
   * [loggingInterceptor, authInterceptor]" }, and what it asked to listen on
   * when it was imported; a CheckFailure when it cannot be loaded.
   */
  async loadModule(file: string): Promise<ModuleReport> {
    const run = await this.runScenario(new URL('./builtin-scenarios.ts', import.meta.url), 'module', { file });
    const message = await run.waitFor((m) => m.type === 'report' || m.type === 'failed', EVENT_WAIT_MS * 2);
    if (message?.type === 'report') return message.value as ModuleReport;
    throw new CheckFailure({
      expected: `${this.displayFile(file)} to load`,
      received:
        message?.type === 'failed'
          ? message.message.split('\n')[0]!
          : run.crashed()
            ? `it crashed (${run.crashed()})`
            : 'no answer in time',
      file,
    });
  }

  /** What a file of the implementation exports (see loadModule). */
  async moduleExports(file: string): Promise<ExportsReport> {
    return (await this.loadModule(file)).exports;
  }

  /**
   * Runs a file of the implementation as a program (`node <file> <args>`, as
   * `npm run client` does, compiled: lib/compile.ts), without TASKMANAGER_TOKEN. Its output is
   * kept (`output`), not shown: it may run while other checks do, so the check
   * that reads it shows it (showOutput). Stopped when the run ends.
   */
  async runProgram(file: string, args: string[]): Promise<ChildTsProcess> {
    const launched = await spawnCompiled(path.join(this.options.impl.dir, file), args, { env: withoutToken() });
    this.#cleanups.push(() => launched.stop(500));
    return launched;
  }

  /** Lines a program of the learner printed, as this check's output of `who` ("your client"). */
  showOutput(who: string, lines: readonly string[]): void {
    for (const line of lines) this.#noteOutput(who, line);
  }

  /** Starts the client host now, so it is ready when a check needs it. */
  prepareClientHost(): void {
    void this.#clientHost().catch(() => {});
  }

  async #startServer(file: string, who: string, graded: string, filter: (line: string) => boolean): Promise<ServerProcess> {
    const env: NodeJS.ProcessEnv = { ...process.env, [DIAGNOSTICS_ENV]: '1', [TOKEN_ENV]: this.options.token };
    try {
      const server = await startServerProcess(file, {
        args: ['--host', '127.0.0.1', '--port', '0'],
        env,
        stdin: 'pipe', // for diagnostics commands (lib/protocol.ts)
        timeoutMs: this.options.startTimeoutMs,
        compiled: true,
        echo: (line) => {
          if (filter(line)) this.#noteOutput(who, line);
        },
      });
      this.#cleanups.push(() => server.stop(1000));
      return server;
    } catch (error) {
      if (!(error instanceof ServerStartError)) throw error;
      const lines = withoutNodeInternals(error.output.filter((line) => diagnosticsLine.parse(line) === undefined)).slice(0, 15);
      if (error.reason === 'timeout') {
        throw new SetupError(
          `${who} did not print "listening on HOST:PORT" within ${this.options.startTimeoutMs / 1000} s`,
          lines,
          'keep main() at the end of server.ts as it was given: bindAsync, then serveUntilStopped, which prints that line',
          graded,
        );
      }
      const { summary, hint } = explainStartFailure(error.output);
      throw new SetupError(summary, lines, hint, graded);
    }
  }

  /** Metadata for a call to `target`: the run's token for the learner's server unless `token` says otherwise (null: none). */
  metadataFor(target: Target, token?: string | null): grpc.Metadata {
    const metadata = new grpc.Metadata();
    const chosen = token === undefined ? (target === 'learner' ? this.options.token : undefined) : token;
    if (chosen !== null && chosen !== undefined) metadata.set(AUTHORIZATION_KEY, `Bearer ${chosen}`);
    return metadata;
  }

  /** A client of `target`. */
  async client(target: Target): Promise<TaskManagerClient> {
    return target === 'learner' ? (await this.learner()).client : (await this.reference()).client;
  }

  /** Sends a unary RPC with a deadline and records it; never throws for a gRPC error. */
  async rpc<M extends UnaryMethod>(
    target: Target,
    method: M,
    request: RequestOf<M>,
    { token }: { token?: string | null } = {},
  ): Promise<RpcOutcome<ResponseOf<M>>> {
    const learner = target === 'learner' ? await this.learner() : undefined;
    const client = learner ? learner.client : await this.client(target);
    const metadata = this.metadataFor(target, token);
    const shownToken = metadata.get(AUTHORIZATION_KEY)[0];
    this.note(
      `→ ${method} ${JSON.stringify(request)}${token === undefined || shownToken === undefined ? '' : ` (authorization: ${shownToken})`}`,
    );
    // An answer the learner's handler gave that does not arrive soon after was held on the way.
    let held: NodeJS.Timeout | undefined;
    let heldByInterceptor = false;
    const call = new AbortController();
    // Only while this is the one call of its method in flight: with several, an answer cannot be matched to a call.
    this.#inFlight.set(method, (this.#inFlight.get(method) ?? 0) + 1);
    const stopWatching = learner?.onAnswered((answered) => {
      if (answered !== method || held || this.#inFlight.get(method) !== 1) return;
      held = setTimeout(() => {
        heldByInterceptor = true;
        call.abort();
      }, ANSWER_DELIVERY_MS);
    });
    try {
      const response = await callUnary(client, method, request, { deadline: deadlineAfter(RPC_DEADLINE_MS) }, metadata, call.signal);
      this.note(`← OK ${JSON.stringify(response)}`);
      return { ok: true, response };
    } catch (error) {
      if (!isServiceError(error)) throw error;
      if (heldByInterceptor) {
        this.note(`← nothing: your ${method} handler answered, but the answer never arrived`);
        throw new CheckFailure({
          sent: { method, request },
          expected: `the answer of your ${method} handler`,
          received: `nothing: your handler answered (the server said so), but the answer did not reach the client within ${ANSWER_DELIVERY_MS / 1000} s`,
          explanation: 'an interceptor held the answer: its sendStatus (or sendMessage) must pass it on with next(...)',
          hint: 'in the responder, end sendStatus(status, next) with next(status): without it the client waits until its deadline',
          file: 'interceptors.ts',
          stopsPhase: 'an interceptor holds the answers of your handlers (see above)',
        });
      }
      // grpc-js words its own deadline message with timings; say it plainly instead.
      const details = error.code === grpc.status.DEADLINE_EXCEEDED ? `no answer within ${RPC_DEADLINE_MS / 1000} s` : error.details;
      this.note(`← ${statusName(error.code)}: ${details}`);
      return { ok: false, code: error.code, details };
    } finally {
      clearTimeout(held);
      stopWatching?.();
      this.#inFlight.set(method, this.#inFlight.get(method)! - 1);
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
  async notRunBecause(method: string, failure: { code: grpc.status; details: string }): Promise<NotRun> {
    const todo = todoMessage.parse(failure.details);
    if (failure.code === grpc.status.UNIMPLEMENTED && todo)
      return new NotRun(`needs ${method}, still a TODO(human) (PHASES.md, ${todo.step})`);
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
    if (code === grpc.status.UNAVAILABLE) {
      const exit = await this.learnerExit();
      if (exit !== undefined) return `your server crashed (${exit}): see its last lines of output below`;
    }
    return explainStatus(method, code, details);
  }

  /** Runs `cleanup` when the run ends (to stop something a check started itself). */
  onCleanup(cleanup: () => Promise<void> | void): void {
    this.#cleanups.push(cleanup);
  }

  /** Stops everything this run started. */
  async cleanup(): Promise<void> {
    const cleanups = this.#cleanups.splice(0).reverse();
    await Promise.all(cleanups.map(async (cleanup) => cleanup()));
    this.#memo.clear();
  }
}

/** This process's environment without TASKMANAGER_TOKEN (a learner may have it set in the shell). */
function withoutToken(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env[TOKEN_ENV];
  return env;
}

/** A short description of a response for "received" lines. */
export function summarize(response: unknown): string {
  const text = JSON.stringify(response);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
