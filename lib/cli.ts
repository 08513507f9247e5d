// Small command-line helpers shared by every runnable file.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { displayPath } from './display-path.ts';

/**
 * True when the module at `moduleUrl` is the program being run
 * (`node --import tsx/esm exercises/server.ts`), false when it is only imported
 * (by the checker or a test).
 */
export function isEntryPoint(moduleUrl: string): boolean {
  const started = process.argv[1];
  return started !== undefined && pathToFileURL(path.resolve(started)).href === moduleUrl;
}

export const DEFAULT_HOST = 'localhost';
export const DEFAULT_PORT = 50051;

export interface Address {
  host: string;
  port: number;
}

/**
 * The value of each `--name value` (or `--name=value`) in argv. Lenient: a
 * program reads its own options and ignores the rest (e.g. --impl, meant for
 * scripts/run.ts), so one command line can serve both.
 */
export function readOptions<Name extends string>(argv: readonly string[], names: readonly Name[]): Partial<Record<Name, string>> {
  const { values } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(names.map((name) => [name, { type: 'string' }])) as Record<Name, { type: 'string' }>,
    strict: false,
    allowPositionals: true,
  });
  const strings: Partial<Record<Name, string>> = {};
  for (const name of names) {
    const value = values[name];
    if (typeof value === 'string') strings[name] = value;
  }
  return strings;
}

/** `--host H --port P` (or `--port=P`), else the PORT environment variable, else localhost:50051. */
export function parseAddress(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Address {
  const options = readOptions(argv, ['host', 'port']);
  const host = options.host ?? DEFAULT_HOST;
  const portText = options.port ?? env.PORT ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a whole number from 0 to 65535, got "${portText}"`);
  }
  return { host, port };
}

/** host:port, with IPv6 literals bracketed. */
export function formatAddress({ host, port }: Address): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Ends the process with `code` once everything written to stdout and stderr has
 * been handed to the operating system: a plain process.exit() would cut output
 * still waiting for a slow pipe. For programs that must stop although something
 * (an open call, a timer) would keep them alive.
 */
export function exitAfterOutput(code: number): void {
  process.exitCode = code;
  // Once both streams have handed over everything written before: nothing is pending.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

/**
 * A parse error of the .proto (protobufjs says "illegal token 'string', ';'
 * expected (line 40)", without the file), as one line that names the file;
 * undefined for any other error.
 */
export function protoParseProblem(error: unknown, protoFile: string): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (!/^illegal .*\(line \d+\)$/.test(message)) return undefined;
  return `${displayPath(protoFile)} does not parse: ${message}. \`npm run check -- --phase 1\` explains it.`;
}

/**
 * For a command whose output may go into `head` or a pager that quits early:
 * once the reader has gone (EPIPE), stop quietly instead of crashing on the
 * next write. Nobody is left to read what remains.
 */
export function stopQuietlyWhenOutputCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0); // the reader is gone: nothing pending can reach anyone
  });
}
