// The conversation between the grader and the client host (client-host.ts), a
// child process that loads the learner's code and runs scenarios from the phase
// folders. Commands go in as JSON lines on stdin; messages come out as stdout
// lines that start with a marker, mixed with whatever the learner's code prints.
// One encoder and one decoder per direction, used on both sides.

/** Run `scenario` of the module at `driver` (a phase's driver.ts) with `args`. */
export interface HostCommand {
  id: number;
  driver: string;
  scenario: string;
  args: Record<string, unknown>;
}

export type HostMessage =
  /** The learner's client.ts has loaded: commands may come. */
  | { type: 'ready' }
  /** client.ts could not be loaded (a syntax error, a throw at import). */
  | { type: 'load-failed'; message: string }
  /** Anything a scenario reports; `label` says what, `value` is JSON (often a Settled). */
  | { id: number; type: 'report'; label: string; value: unknown }
  /** The scenario itself failed (a function the learner's file lacks, say): message with its stack. */
  | { id: number; type: 'failed'; message: string }
  /** The scenario returned. */
  | { id: number; type: 'done' };

/** How a call into the learner's code ended, in a form that survives JSON. */
export type Settled<T = unknown> =
  | { kind: 'value'; value: T }
  | { kind: 'error'; error: ThrownError }
  /** It threw TodoHumanError: still a TODO(human). */
  | { kind: 'todo'; message: string }
  /** Its promise did not settle in time. */
  | { kind: 'timeout'; ms: number };

export interface ThrownError {
  name: string;
  message: string;
  /** True for a grpc.ServiceError (a failed call): then code and details are set. */
  serviceError: boolean;
  code?: number;
  details?: string;
  stack?: string;
}

const MARKER = '@@checker ';

export const hostMessage = {
  format(message: HostMessage): string {
    return `${MARKER}${JSON.stringify(message)}`;
  },
  /** The message on this line, or undefined when it is output of the learner's code. */
  parse(line: string): HostMessage | undefined {
    if (!line.startsWith(MARKER)) return undefined;
    try {
      return JSON.parse(line.slice(MARKER.length)) as HostMessage;
    } catch {
      return undefined;
    }
  },
};

export const hostCommand = {
  format(command: HostCommand): string {
    return `${JSON.stringify(command)}\n`;
  },
  parse(line: string): HostCommand {
    return JSON.parse(line) as HostCommand;
  },
};

/** What a scenario gets: the learner's modules, its arguments, and a way to report. */
export interface ScenarioContext {
  /** The implementation folder (absolute). */
  implDir: string;
  args: Record<string, unknown>;
  /** Imports a file of the implementation folder (client.ts is loaded already). */
  load(file: string): Promise<Record<string, unknown>>;
  /** The learner's client.ts, as imported. */
  client: Record<string, unknown>;
  report(label: string, value: unknown): void;
  /** Runs `work`, a call into the learner's code, and says how it ended (at most `ms` for a promise). */
  settle<T>(work: () => T | Promise<T>, ms?: number): Promise<Settled<T>>;
  /** Every line this process printed since the scenario started (the learner's output). */
  output(): string[];
  /** Resolves with the first printed line (old or new) that `test` accepts, or undefined after `ms`. */
  waitForOutput(test: (line: string) => boolean, ms: number): Promise<string | undefined>;
}

/** What a phase's driver.ts exports: its scenarios, by name. */
export type Scenarios = Record<string, (context: ScenarioContext) => Promise<void>>;
