// The shape of the JSON results file that `npm run bench` writes (bench/results/latest.json by default).
// All times are milliseconds unless a name says µs (micros), all sizes bytes,
// all throughputs successful calls per second. CPU percentages are of one core
// (100 = one core busy all the time); null where they cannot be read (no /proc).

export const RESULTS_SCHEMA = 'taskmanager-bench/2';

export type ServerKey = 'grpc-reference' | 'grpc-bare' | 'rest';
export type UnaryOperation = 'create' | 'get';

/**
 * What held the throughput back in a measurement:
 *   server:       the server process used (nearly) a whole core;
 *   all CPUs:     every core of the machine was busy (server, load and others together);
 *   load:         the load generator was busy, the server was not;
 *   round trips:  nobody was busy: each caller waited for its answer (few callers);
 *   unknown:      CPU time cannot be read on this system.
 */
export type Limit = 'server' | 'all CPUs' | 'load' | 'round trips' | 'unknown';

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

export interface CpuFigures {
  serverPercent: number | null;
  /** The load generator: the load threads together, or the h2load process. */
  loadPercent: number | null;
  /** Every process on the machine, all cores together (200 = two cores busy). */
  machinePercent: number | null;
  /** Server CPU time per OK call: the fairest single figure for comparing servers. */
  serverMicrosPerCall: number | null;
  loadMicrosPerCall: number | null;
}

export interface UnaryCell {
  server: ServerKey;
  operation: UnaryOperation;
  /** Calls in flight at once. */
  callers: number;
  /** gRPC: HTTP/2 connections, each carrying streamsPerConnection calls; REST: one connection per caller. */
  connections: number;
  streamsPerConnection: number;
  /** Wall time spent measuring this server in this cell (all its slices). */
  elapsedMs: number;
  /** Throughput of each slice; a cell is measured in short slices, the servers taking turns. */
  sliceThroughputsPerSec: number[];
  /** Answers with an OK status (HTTP 2xx; gRPC: see load.caveat): the only ones counted. */
  ok: number;
  /** Everything else, by kind ("NOT_FOUND", "HTTP 500", "ECONNRESET", ...). */
  errors: Record<string, number>;
  /** The median of the slices' throughputs: a slice disturbed by other programs does not move it. */
  throughputPerSec: number;
  latencyMs: LatencySummary;
  cpu: CpuFigures;
  /** The limit seen in most slices. */
  limit: Limit;
}

export interface EncodingCell {
  what: string;
  tasks: number;
  protobufBytes: number;
  jsonBytes: number;
  /** jsonBytes ÷ protobufBytes: how many times larger the JSON is. */
  jsonToProtobufRatio: number;
  /** In-process, one message at a time: bytes → objects (decode) and objects → bytes (encode). */
  microsPerMessage: { protobufEncode: number; protobufDecode: number; jsonEncode: number; jsonDecode: number };
}

/** How a client talks through the slow link. */
export type SlowLinkClient = 'grpc' | 'rest-keep-alive' | 'rest-new-connection';
export type SlowLinkCall = 'create' | 'list';

export interface SlowLinkCell {
  call: SlowLinkCall;
  callers: number;
  client: SlowLinkClient;
  /** TCP connections opened through the link during the measurement. */
  connectionsOpened: number;
  ok: number;
  errors: Record<string, number>;
  throughputPerSec: number;
  latencyMs: LatencySummary;
  /** Bytes through the link per OK call, headers and framing included: client → server (up) and back (down). */
  bytesPerCall: { up: number; down: number };
}

export interface StreamingCell {
  server: Exclude<ServerKey, 'grpc-bare'>;
  watchers: number;
  /** Creates measured (after one warm-up Create that every watcher must see). */
  rounds: number;
  /** One sample per watcher per round: time from sending Create to that watcher's event. */
  samples: number;
  /** Events that did not reach a watcher within the round's time limit. */
  lost: number;
  errors: Record<string, number>;
  latencyMs: LatencySummary;
}

export interface BenchResults {
  schema: typeof RESULTS_SCHEMA;
  mode: 'quick' | 'full';
  startedAt: string;
  wallTimeMs: number;
  machine: {
    node: string;
    platform: string;
    arch: string;
    cpus: number;
    cpuModel: string;
    /** 1-minute load average: well above the CPU count means other programs competed with the bench. */
    loadAverage: { atStart: number; atEnd: number };
    /** Share of the machine's CPU capacity used by other programs while the bench ran; null without /proc. */
    otherProgramsCpuPercent: number | null;
  };
  load: {
    generator: 'h2load' | 'own';
    description: string;
    /** Why this generator (e.g. "h2load is not installed"). */
    choice: string;
    /** What the figures cannot show with this generator, if anything. */
    caveat: string | null;
    /** Threads of the bench's own load (slow link, and unary calls without h2load). */
    ownLoadThreads: number;
    /** One real call before and after the unary measurements, per server: "OK" or what went wrong. */
    checks: Array<{ server: ServerKey; before: string; after: string }>;
  };
  settings: {
    unarySliceMs: number;
    unarySlicesPerCell: number;
    warmupMs: number;
    callers: number[];
    watcherCounts: number[];
    callTimeoutMs: number;
  };
  /** The headline: server CPU time per call with the most callers (the same figures are in `unary`). */
  serverCpuPerCall: Array<{ server: ServerKey; operation: UnaryOperation; callers: number; micros: number | null }>;
  unary: UnaryCell[];
  encoding: EncodingCell[];
  slowLink: {
    settings: {
      rttMs: number;
      bandwidthMbitPerSec: number;
      /** Round trips a new connection waits before it carries data (TCP's handshake; no TLS). */
      connectionSetupRoundTrips: number;
      /** How long each client was measured: small calls, and the list. */
      createSliceMs: number;
      listSliceMs: number;
      /** Tasks in the answer of the "list" call. */
      listTasks: number;
    };
    /** The servers behind it: the reference gRPC server and the REST twin. */
    cells: SlowLinkCell[];
  };
  streaming: StreamingCell[];
}
