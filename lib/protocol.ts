// The lines a server or a client prints for the workbook's tools to read, each
// with its one encoder and its one decoder: the side that prints and the side
// that reads can never disagree on the wording. (The RPC log line, the
// learner's own output, has its pair in rpc-log.ts.)

/** "TaskManager server listening on 127.0.0.1:50051": printed once a server accepts connections. */
export const listeningLine = {
  format(host: string, port: number): string {
    return `TaskManager server listening on ${host.includes(':') ? `[${host}]` : host}:${port}`;
  },
  /** The address in the line, or undefined if the line is not one. */
  parse(line: string): { host: string; port: number; address: string } | undefined {
    const match = /listening on (\S+):(\d+)\s*$/.exec(line);
    if (!match) return undefined;
    return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(match[2]), address: `${match[1]}:${match[2]}` };
  },
};

/**
 * With this environment variable set to 1 (the grader sets it), a server prints
 * diagnostics lines: the number of open watchers whenever it changes (so a
 * watcher that is never forgotten shows from outside), and each time a handler
 * answers (so an answer that never reaches the client shows too).
 */
export const DIAGNOSTICS_ENV = 'TASKMANAGER_DIAGNOSTICS';

export type Diagnostic = { subscribers: number } | { answered: string };

export const diagnosticsLine = {
  format(diagnostic: Diagnostic): string {
    return 'subscribers' in diagnostic
      ? `[diagnostics] subscribers=${diagnostic.subscribers}`
      : `[diagnostics] answered=${diagnostic.answered}`;
  },
  /** What the line reports, or undefined if it is not a diagnostics line. */
  parse(line: string): Diagnostic | undefined {
    const match = /^\[diagnostics\] (subscribers|answered)=(\S+)$/.exec(line);
    if (!match) return undefined;
    return match[1] === 'subscribers' ? { subscribers: Number(match[2]) } : { answered: match[2]! };
  },
};

/** What an unfinished TODO(human) says: "CreateTask is still a TODO(human): see PHASES.md, Phase 2, step 1". */
export const todoMessage = {
  format(what: string, step: string): string {
    return `${what} is still a TODO(human): see PHASES.md, ${step}`;
  },
  /** What is unfinished and where the step is, or undefined if the text is not a TODO message. */
  parse(text: string): { what: string; step: string } | undefined {
    const match = /(\S+) is still a TODO\(human\): see PHASES\.md, (Phase \d+, step \d+)/.exec(text);
    return match ? { what: match[1]!, step: match[2]! } : undefined;
  },
};
