// Small command-line helpers shared by every runnable file.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * True when the module at `moduleUrl` is the program being run
 * (`node --import tsx exercises/server.ts`), false when it is only imported
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

/** `--host H --port P` (or `--port=P`), else the PORT environment variable, else localhost:50051. */
export function parseAddress(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Address {
  const host = optionValue(argv, 'host') ?? DEFAULT_HOST;
  const portText = optionValue(argv, 'port') ?? env.PORT ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a whole number from 0 to 65535, got "${portText}"`);
  }
  return { host, port };
}

/** The value of `--name value` or `--name=value` in argv, if present. */
export function optionValue(argv: readonly string[], name: string): string | undefined {
  const flag = `--${name}`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === flag) return argv[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}

/** host:port, with IPv6 literals bracketed. */
export function formatAddress({ host, port }: Address): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** argv without `--name value` / `--name=value`. */
export function withoutOption(argv: readonly string[], name: string): string[] {
  const flag = `--${name}`;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === flag) i++;
    else if (!arg.startsWith(`${flag}=`)) rest.push(arg);
  }
  return rest;
}
