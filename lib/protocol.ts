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

export type Diagnostic = { subscribers: number } | { answered: string } | { store: 'closed' };

export const diagnosticsLine = {
  format(diagnostic: Diagnostic): string {
    if ('subscribers' in diagnostic) return `[diagnostics] subscribers=${diagnostic.subscribers}`;
    if ('answered' in diagnostic) return `[diagnostics] answered=${diagnostic.answered}`;
    return '[diagnostics] store=closed';
  },
  /** What the line reports, or undefined if it is not a diagnostics line. */
  parse(line: string): Diagnostic | undefined {
    const match = /^\[diagnostics\] (subscribers|answered|store)=(\S+)$/.exec(line);
    if (!match) return undefined;
    if (match[1] === 'subscribers') return { subscribers: Number(match[2]) };
    if (match[1] === 'answered') return { answered: match[2]! };
    return match[2] === 'closed' ? { store: 'closed' } : undefined;
  },
};

/**
 * What the grader may ask a server in diagnostics mode, one line on its stdin:
 * close the store as a shutdown would (every watch stream should end with OK),
 * without stopping the server, which other phases still use.
 */
export const diagnosticsCommand = {
  closeStore: 'close-store',
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
