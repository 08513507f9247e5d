// Which implementation a command runs: the learner's exercises/ (default) or the
// reference solutions/, and running one of its files as the program.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './proto.ts';

export const IMPLEMENTATIONS = ['exercises', 'solutions'] as const;
export type ImplementationName = (typeof IMPLEMENTATIONS)[number];

export interface Implementation {
  name: ImplementationName;
  dir: string;
}

export function resolveImplementation(name: string | undefined = 'exercises'): Implementation {
  if (!(IMPLEMENTATIONS as readonly string[]).includes(name)) {
    throw new Error(`--impl must be one of ${IMPLEMENTATIONS.join(', ')}, got "${name}"`);
  }
  const dir = path.join(REPO_ROOT, name);
  if (!existsSync(dir)) throw new Error(`${dir} does not exist`);
  return { name: name as ImplementationName, dir };
}

/** The runnable files of an implementation, by npm script name. */
export const PROGRAMS: Record<string, { file: string; extraArgs: string[] }> = {
  server: { file: 'server.ts', extraArgs: [] },
  client: { file: 'client.ts', extraArgs: [] },
  watch: { file: 'client.ts', extraArgs: ['--watch'] },
};

/**
 * Runs `file` in this process as if started with `node --import tsx <file> <args>`:
 * it sees itself as the entry point, without the cost of a second process.
 */
export async function runAsProgram(file: string, args: string[]): Promise<void> {
  process.argv = [process.argv[0]!, file, ...args];
  await import(pathToFileURL(file).href);
}
