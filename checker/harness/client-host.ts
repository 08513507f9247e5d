// The client host: one child process per grading run that loads the learner's
// client.ts and runs, on request, the scenarios of the phase folders (their
// driver.ts files) against it. The learner's code runs here, never in the
// grader, so a hang or a crash in it cannot take the grader down. The grader
// runs it compiled (lib/compile.ts) with every file it may import by path
// (importFile), as `node checker/harness/client-host.ts --impl <folder>` would run.
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { isServiceError } from '../../lib/client-runtime.ts';
import { importFile } from '../../lib/compiled-import.ts';
import { TodoHumanError } from '../../lib/todo.ts';
import { type HostMessage, hostCommand, hostMessage, type ScenarioContext, type Scenarios, type Settled } from './host-protocol.ts';

/** How long a call into the learner's code may take before a scenario stops waiting for it. */
const SETTLE_MS = 3000;

const { values } = parseArgs({ options: { impl: { type: 'string', default: 'exercises' } } });
const implDir = path.resolve(values.impl);
const load = (file: string) => importFile(path.join(implDir, file));

// Every line printed here, by the learner's code or ours, so scenarios can look
// at what the learner printed (and wait for a log line) without fixed sleeps.
const printed: string[] = [];
const lineWaiters = new Set<(line: string) => void>();
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  let partial = '';
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    partial += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (hostMessage.parse(line)) continue;
      printed.push(line);
      for (const waiter of [...lineWaiters]) waiter(line);
    }
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

const send = (message: HostMessage) => console.log(hostMessage.format(message));

let client: Record<string, unknown>;
try {
  client = await load('client.ts');
} catch (error) {
  send({ type: 'load-failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.stdin.destroy();
}

async function settle<T>(work: () => T | Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    });
    const value = await Promise.race([Promise.resolve().then(work), timeout]);
    return value === 'timeout' ? { kind: 'timeout', ms } : { kind: 'value', value: value as T };
  } catch (error) {
    if (error instanceof TodoHumanError) return { kind: 'todo', message: error.message };
    const thrown = error instanceof Error ? error : new Error(String(error));
    return {
      kind: 'error',
      error: {
        name: thrown.name,
        message: thrown.message,
        serviceError: isServiceError(error),
        ...(isServiceError(error) ? { code: error.code, details: error.details } : {}),
        stack: thrown.stack,
      },
    };
  } finally {
    clearTimeout(timer);
  }
}

function contextFor(id: number, args: Record<string, unknown>): ScenarioContext {
  const firstLine = printed.length;
  const context: ScenarioContext = {
    implDir,
    args,
    load,
    client,
    report: (label, value) => send({ id, type: 'report', label, value }),
    settle: (work, ms = SETTLE_MS) => settle(work, ms),
    output: () => printed.slice(firstLine),
    waitForOutput(test, ms) {
      const found = printed.slice(firstLine).find(test);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => {
        const waiter = (line: string) => {
          if (test(line)) finish(line);
        };
        const finish = (line: string | undefined) => {
          clearTimeout(timer);
          lineWaiters.delete(waiter);
          resolve(line);
        };
        const timer = setTimeout(() => finish(undefined), ms);
        lineWaiters.add(waiter);
      });
    },
  };
  return context;
}

if (client!) {
  send({ type: 'ready' });
  // Commands run concurrently: a scenario that keeps a stream open must not block the next.
  createInterface({ input: process.stdin }).on('line', (line) => {
    const { id, driver, scenario, args } = hostCommand.parse(line);
    void (async () => {
      const context = contextFor(id, args);
      try {
        const scenarios = (await importFile(driver)) as { scenarios: Scenarios };
        const run = scenarios.scenarios[scenario];
        if (!run) throw new Error(`${driver} has no scenario "${scenario}"`);
        await run(context);
      } catch (error) {
        send({ id, type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
      send({ id, type: 'done' });
    })();
  });
  // The grader closes stdin when the run ends: stop, even if a stream is still open.
  // The grader is gone: nobody reads what may be pending, so stop at once.
  process.stdin.on('end', () => process.exit(0));
}
