// `npm run wire`: gRPC on the wire. A transparent TCP proxy (localhost:50050 →
// localhost:50051 unless told otherwise) prints every HTTP/2 frame passing in
// each direction: headers decoded (HPACK), gRPC messages cut out of DATA and
// decoded field by field, by number and by name. `--demo` runs the reference
// server and the client demo through it, then a few calls at once, and exits.
// `--jsonl` prints one JSON object per frame instead (lib/wire/records.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { formatAddress } from '../lib/cli.ts';
import type { ChildTsProcess, ServerProcess } from '../lib/process.ts';
import type { WireProxy } from '../lib/wire/proxy.ts';
import type { WireRecord } from '../lib/wire/records.ts';

// Not lib/proto.ts's REPO_ROOT: importing that module loads gRPC (see loadRuntime).
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * gRPC, protobufjs and the proto take about a second to load: they are loaded
 * once the command line is known to be good, so --help and usage errors answer at once.
 */
async function loadRuntime() {
  const [grpc, clientRuntime, processes, format, protobuf, proxy, probe] = await Promise.all([
    import('@grpc/grpc-js'),
    import('../lib/client-runtime.ts'),
    import('../lib/process.ts'),
    import('../lib/wire/format.ts'),
    import('../lib/wire/protobuf.ts'),
    import('../lib/wire/proxy.ts'),
    import('../lib/wire/probe.ts'),
  ]);
  return { grpc, ...clientRuntime, ...processes, ...format, ...protobuf, ...proxy, ...probe };
}
type Runtime = Awaited<ReturnType<typeof loadRuntime>>;

const USAGE = `usage: npm run wire [-- options]

Shows gRPC on the wire: a proxy that forwards every byte unchanged and prints
each HTTP/2 frame passing through it, with headers and protobuf messages decoded.

  --listen [HOST:]PORT   where the proxy listens (default localhost:50050)
  --target [HOST:]PORT   the server it forwards to (default localhost:50051)
  --demo                 start the reference server, run the client demo and a
                         few calls at once through the proxy, then exit
  --jsonl                one JSON object per frame instead of text
  --proto FILE           decode messages with this .proto (default: the workbook's)
  --help                 this text

Then point a client at the proxy, e.g. npm run client -- --port 50050`;

const DEMO_TIMEOUT_MS = 30_000;
/** Why a run stopped early when its reader went away (not Ctrl+C). */
const OUTPUT_CLOSED = 'output closed';

class UsageError extends Error {}

/** One short line for a bad command line (parseArgs's own messages are long). */
function usageProblem(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${/'([^']+)'/.exec(message)?.[1] ?? ''}`.trim();
  return message;
}

interface Options {
  listen: { host: string; port: number };
  target: { host: string; port: number };
  demo: boolean;
  jsonl: boolean;
  proto: string | undefined;
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string' },
      target: { type: 'string' },
      demo: { type: 'boolean' },
      jsonl: { type: 'boolean' },
      proto: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      // Read by picocolors itself; accepted so that they are not "unknown".
      color: { type: 'boolean' },
      'no-color': { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  return {
    // The demo listens on a free port unless told otherwise: it must not collide with a proxy already running.
    listen: parseHostPort('--listen', values.listen ?? (values.demo ? '127.0.0.1:0' : 'localhost:50050')),
    target: parseHostPort('--target', values.target ?? 'localhost:50051'),
    demo: values.demo === true,
    jsonl: values.jsonl === true,
    proto: values.proto,
  };
}

/** "50051", "localhost:50051", "[::1]:50051". */
function parseHostPort(flag: string, text: string): { host: string; port: number } {
  const match = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`${flag} must be PORT or HOST:PORT with a port from 0 to 65535, got "${text}"`);
  }
  return { host: match[1]?.replace(/^\[(.*)\]$/, '$1') ?? 'localhost', port };
}

async function main(argv: string[]): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(argv);
  } catch (error) {
    console.error(`wire: ${usageProblem(error)} (npm run wire -- --help)`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const { jsonl } = options;
  const runtime = await loadRuntime();
  const { formatJsonLine, formatText } = runtime;
  let schema: InstanceType<Runtime['ProtoSchema']>;
  try {
    schema = runtime.ProtoSchema.load(options.proto ? [path.resolve(options.proto)] : undefined);
  } catch (error) {
    console.error(`wire: cannot read the proto ${options.proto}: ${error instanceof Error ? error.message : error}`);
    return 1;
  }

  const colors = !jsonl && pc.isColorSupported;
  const width = (process.stdout.isTTY && process.stdout.columns) || 80;
  // Messages about the run (and the demo client's own output): on stderr beside JSON lines, cut to the width beside text.
  const info = (text: string) =>
    jsonl ? process.stderr.write(`${text}\n`) : write(`${runtime.fit(colors ? pc.dim(text) : text, width)}\n`);
  const ending = new AbortController();
  let proxy: WireProxy | undefined;
  let server: ServerProcess | undefined;
  let client: ChildTsProcess | undefined;

  // The reader of stdout sets the pace: while it lags, the proxy stops reading
  // from the sockets (TCP slows the peers), so no output piles up in memory.
  let waitingForDrain = false;
  const write = (text: string) => {
    if (process.stdout.write(text) || waitingForDrain) return;
    waitingForDrain = true;
    proxy?.pause();
    process.stdout.once('drain', () => {
      waitingForDrain = false;
      proxy?.resume();
    });
  };
  const onRecord = (record: WireRecord) => write(jsonl ? formatJsonLine(record) : formatText(record, { colors, width }));

  const stop = () => ending.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    // Piped into `head` or a pager that quit: stop quietly, as a success.
    if (error.code === 'EPIPE') ending.abort(OUTPUT_CLOSED);
  });

  try {
    let target = options.target;
    if (options.demo) {
      // Authentication off, whatever this shell has set: the demo's calls carry no token.
      server = await runtime.startServerProcess(path.join(REPO_ROOT, 'solutions', 'server.ts'), {
        env: { ...process.env, TASKMANAGER_TOKEN: '' },
      });
      target = { host: server.host, port: server.port };
    } else {
      const problem = await runtime.probe(target, 3000);
      if (problem) {
        console.error(
          `wire: cannot reach the server at ${formatAddress(target)} (${problem}); start it first (npm run server) or pass --target`,
        );
        return 1;
      }
    }
    let listening: WireProxy;
    try {
      listening = await runtime.startWireProxy({ listen: options.listen, target, onRecord, schema });
      proxy = listening;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? 'the port is in use (another proxy?); pick another with --listen' : String(code ?? error);
      console.error(`wire: cannot listen on ${formatAddress(options.listen)}: ${why}`);
      return 1;
    }
    const address = formatAddress({ host: options.listen.host, port: listening.port });
    info(`wire: listening on ${address}, forwarding to ${formatAddress(target)}${options.demo ? '' : '. Ctrl+C stops.'}`);
    if (!options.demo) {
      info(`Point a client at it: npm run client -- --port ${listening.port}`);
      await new Promise((resolve) => ending.signal.addEventListener('abort', resolve, { once: true }));
      return 0;
    }
    const code = await runDemo(runtime, listening, (spawned) => (client = spawned), ending.signal, info, jsonl);
    return ending.signal.reason === OUTPUT_CLOSED ? 0 : code;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await client?.stop();
    await server?.stop();
    await proxy?.close();
  }
}

/**
 * The client demo (its own process, its own connection: WatchTasks open while
 * unary calls run), then four calls started at once on one channel: one
 * connection, four streams, their frames interleaved.
 */
async function runDemo(
  { grpc, spawnTs, createTaskManagerClient, callUnary }: Runtime,
  proxy: WireProxy,
  started: (client: ChildTsProcess) => void,
  signal: AbortSignal,
  info: (text: string) => void,
  quiet: boolean,
): Promise<number> {
  const aborted = new Promise<'aborted'>((resolve) => signal.addEventListener('abort', () => resolve('aborted'), { once: true }));
  info('wire: running the client demo through the proxy (solutions/client.ts)');
  const demo = spawnTs(path.join(REPO_ROOT, 'solutions', 'client.ts'), ['--host', '127.0.0.1', '--port', String(proxy.port)], {
    env: { ...process.env, TASKMANAGER_TOKEN: '' },
    echo: quiet ? undefined : (line) => info(`client │ ${line}`),
  });
  started(demo);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), DEMO_TIMEOUT_MS)));
  const status = await Promise.race([demo.exited, aborted, timeout]);
  clearTimeout(timer);
  if (status === 'aborted') return 130;
  if (status !== 0) {
    console.error(
      `wire: the client demo ${status === 'timeout' ? `did not finish within ${DEMO_TIMEOUT_MS / 1000} s` : `failed (exit ${status})`}`,
    );
    return 1;
  }

  info('wire: four calls at once on one channel (one connection, four streams)');
  const client = createTaskManagerClient(`127.0.0.1:${proxy.port}`);
  const metadata = new grpc.Metadata();
  metadata.set('authorization', 'Bearer demo-token');
  const results = await Promise.allSettled([
    callUnary(client, 'CreateTask', { title: 'Watch the wire', tags: ['wire'] }, undefined, metadata),
    callUnary(client, 'CreateTask', { title: 'Read the HPACK table', tags: ['wire', 'hpack'] }, undefined, metadata),
    callUnary(client, 'ListTasks', { tag: 'wire' }),
    callUnary(client, 'GetTask', { id: 'no-such-task' }),
  ]);
  client.close();
  await proxy.idle(2000);
  const failed = results.slice(0, 3).filter((result) => result.status === 'rejected');
  if (failed.length > 0) {
    console.error(`wire: ${failed.length} of the concurrent calls failed: ${(failed[0] as PromiseRejectedResult).reason}`);
    return 1;
  }
  info('wire: demo finished');
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
