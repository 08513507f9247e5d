// The command line of `npm run bench`, read in one place. A mistake gives one
// line saying what is wrong (UsageError), never a stack trace.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CEILING_CONNECTIONS, CEILING_STREAMS, CEILING_TARGET } from './ceiling.ts';
import { defaultLoadThreads } from './load.ts';
import { LOAD_CHOICES, type LoadChoice } from './measure.ts';
import { DEFAULT_SLOW_LINK, numberOption, type SlowLinkSettings } from './slow-link.ts';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
export const DEFAULT_OUT = path.join(RESULTS_DIR, 'latest.json');
export const DEFAULT_CEILING_OUT = path.join(RESULTS_DIR, 'ceiling.json');
export const DEFAULT_CEILING_ROUNDS = 8;
export const DEFAULT_CEILING_SECONDS = 1.5;

export type BenchCommand =
  | { kind: 'help' }
  | { kind: 'bench'; quick: boolean; outFile: string; load: LoadChoice; threads: number; slowLink: SlowLinkSettings }
  | { kind: 'ceiling'; rounds: number; roundMs: number; load: LoadChoice; threads: number; outFile: string };

export class UsageError extends Error {}

const relative = (file: string) => path.relative(process.cwd(), file) || file;

export const USAGE = `npm run bench [-- OPTIONS]
npm run bench -- --ceiling [OPTIONS]     (or: npm run bench:ceiling [-- OPTIONS])

npm run bench measures the same TaskManager work on this machine against the
reference gRPC server, a bare grpc-js server and a REST/JSON twin: server CPU
time per call, calls per second and latency with 1, 10 and 100 callers,
encoded size and encode/decode time, a slow link, and event delivery to many
watchers. It prints tables and writes the figures as JSON plus an HTML page
with charts (default: ${relative(DEFAULT_OUT)} and .html).

  --quick            a short run (under 30 s; the full run takes under 2 minutes)
  --out FILE         where to write the JSON; the HTML page goes next to it
  --load KIND        what sends the unary calls: auto (h2load if it is installed,
                     else the bench's own load), h2load, or own
  --threads N        threads of the bench's own load (default here: ${defaultLoadThreads()})
  --rtt MS           slow link: added round-trip time in ms (default ${DEFAULT_SLOW_LINK.rttMs})
  --bandwidth MBIT   slow link: bandwidth cap in Mbit/s, each way (default ${DEFAULT_SLOW_LINK.bandwidthMbitPerSec})

--ceiling compares the reference server with the bare grpc-js server under the
same neutral load: unary CreateTask at ${CEILING_CONNECTIONS} connections × ${CEILING_STREAMS} streams (h2load
where it is installed, the bench's own load otherwise). Each server gets a
warm-up round (twice as long, not counted), then the servers take turns, round
after round. It prints each round's requests per second, the median of the
per-round ratios reference ÷ bare (target: at least ${CEILING_TARGET.toFixed(2)}) and the exact
h2load command used (default output: ${relative(DEFAULT_CEILING_OUT)}). About 35 s.

  --rounds N         rounds after the warm-up (default ${DEFAULT_CEILING_ROUNDS})
  --seconds S        how long each server is measured per round (default ${DEFAULT_CEILING_SECONDS})
  --load, --threads, --out as above

  -h, --help         this text`;

const BENCH_ONLY = ['quick', 'rtt', 'bandwidth'] as const;
const CEILING_ONLY = ['rounds', 'seconds'] as const;

export function parseBenchArgs(argv: readonly string[]): BenchCommand {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    // node:util's messages name the option; the rest of them talks about parseArgs.
    throw new UsageError(`${(error as Error).message.split('. ')[0]} (see npm run bench -- --help)`);
  }
  if (values.help) return { kind: 'help' };
  const numberOf = (name: string, fallback: number, limits: { min: number; integer?: boolean }) => {
    try {
      return numberOption(name, values[name as keyof typeof values] as string | undefined, fallback, limits);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };
  const load = values.load ?? 'auto';
  if (!LOAD_CHOICES.includes(load as LoadChoice)) {
    throw new UsageError(`--load must be one of ${LOAD_CHOICES.join(', ')}, got "${load}"`);
  }
  const threads = numberOf('threads', defaultLoadThreads(), { min: 1, integer: true });
  if (values.out !== undefined && values.out.trim() === '') throw new UsageError('--out needs a file name');

  if (values.ceiling) {
    const misplaced = BENCH_ONLY.find((name) => values[name] !== undefined && values[name] !== false);
    if (misplaced) throw new UsageError(`--${misplaced} does not apply with --ceiling`);
    return {
      kind: 'ceiling',
      rounds: numberOf('rounds', DEFAULT_CEILING_ROUNDS, { min: 1, integer: true }),
      roundMs: numberOf('seconds', DEFAULT_CEILING_SECONDS, { min: 0.1 }) * 1000,
      load: load as LoadChoice,
      threads,
      outFile: path.resolve(values.out ?? DEFAULT_CEILING_OUT),
    };
  }
  const misplaced = CEILING_ONLY.find((name) => values[name] !== undefined);
  if (misplaced) throw new UsageError(`--${misplaced} applies only with --ceiling`);
  return {
    kind: 'bench',
    quick: values.quick ?? false,
    outFile: path.resolve(values.out ?? DEFAULT_OUT),
    load: load as LoadChoice,
    threads,
    slowLink: {
      rttMs: numberOf('rtt', DEFAULT_SLOW_LINK.rttMs, { min: 0 }),
      bandwidthMbitPerSec: numberOf('bandwidth', DEFAULT_SLOW_LINK.bandwidthMbitPerSec, { min: 0.01 }),
    },
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' },
      out: { type: 'string' },
      load: { type: 'string' },
      threads: { type: 'string' },
      rtt: { type: 'string' },
      bandwidth: { type: 'string' },
      ceiling: { type: 'boolean' },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
}
