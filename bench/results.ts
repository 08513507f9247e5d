// The shape of the JSON results file that `npm run bench` writes (bench/results/latest.json by default).
// All times are milliseconds, all sizes bytes, all throughputs successful calls per second.

export const RESULTS_SCHEMA = 'taskmanager-bench/1';

export type ServerKey = 'grpc-reference' | 'grpc-bare' | 'rest';
export type UnaryOperation = 'create' | 'get';

export interface LatencySummary {
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

export interface SizeComparison {
  what: string;
  protobufBytes: number;
  jsonBytes: number;
  /** jsonBytes ÷ protobufBytes: how many times larger the JSON is. */
  jsonToProtobufRatio: number;
}

export interface UnaryCell {
  server: ServerKey;
  operation: UnaryOperation;
  concurrency: number;
  /** Wall time spent measuring this server in this cell (all its slices). */
  elapsedMs: number;
  /**
   * Throughput of each slice. A cell is measured in short slices, the servers
   * taking turns, so a burst of other activity on the machine hits all of them.
   */
  sliceThroughputsPerSec: number[];
  /** Answers with an OK status (gRPC OK, HTTP 2xx): the only ones counted. */
  ok: number;
  /** Everything else, by kind ("NOT_FOUND", "HTTP 500", "ECONNRESET", ...). */
  errors: Record<string, number>;
  /** The median of the slices' throughputs: a slice disturbed by other programs does not move it. */
  throughputPerSec: number;
  latencyMs: LatencySummary;
  /**
   * CPU used during the cell in % of one core (100 = one core fully busy).
   * The server figures come from /proc and are null on systems without it.
   */
  cpu: { clientPercent: number; serverPercent: number | null; serverMicrosPerCall: number | null };
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

export interface RatioCell {
  operation: UnaryOperation;
  concurrency: number;
  ratio: number;
}

export interface BenchResults {
  schema: typeof RESULTS_SCHEMA;
  mode: 'quick' | 'normal';
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
    /**
     * Share of the machine's CPU capacity (all cores) used by programs other than
     * the bench and its servers while it ran; null where /proc is not available.
     */
    otherProgramsCpuPercent: number | null;
  };
  settings: {
    unarySliceMs: number;
    unarySlicesPerCell: number;
    warmupMs: number;
    concurrencies: number[];
    watcherCounts: number[];
    callTimeoutMs: number;
  };
  sizes: { oneTask: SizeComparison; hundredTasks: SizeComparison };
  unary: UnaryCell[];
  streaming: StreamingCell[];
  comparisons: {
    /** Throughput of the reference gRPC server ÷ the REST twin's, per cell. */
    grpcReferenceOverRest: RatioCell[];
    /** Issue 6, item 3: throughput of the reference ÷ the bare grpc-js baseline. */
    referenceOverBare: {
      cells: RatioCell[];
      geometricMean: number;
      goal: number;
      met: boolean;
      /**
       * Server CPU time per call, reference ÷ bare (1.5 = the reference spends 50% more).
       * Unlike throughput, not capped by the client; null where server CPU is unknown.
       */
      serverCpuPerCall: { cells: RatioCell[]; geometricMean: number } | null;
    };
  };
}
