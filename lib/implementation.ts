// Which implementation a command runs: the learner's exercises/ (default), the
// reference solutions/, or another folder laid out the same; and running one of its files.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { protoParseProblem } from './cli.ts';
import { displayPath } from './display-path.ts';
import { PROTO_FILE, REPO_ROOT } from './proto.ts';

export const IMPLEMENTATIONS = ['exercises', 'solutions'] as const;

export interface Implementation {
  /** "exercises", "solutions", or the folder as given. */
  name: string;
  dir: string;
}

/** The files every implementation folder has, laid out like exercises/. */
export const IMPLEMENTATION_FILES = ['server.ts', 'interceptors.ts', 'client.ts'] as const;

/** `exercises` (default), `solutions`, or the path of any folder laid out like exercises/. */
export function resolveImplementation(name: string | undefined = 'exercises'): Implementation {
  const dir = (IMPLEMENTATIONS as readonly string[]).includes(name) ? path.join(REPO_ROOT, name) : path.resolve(name);
  if (!existsSync(dir)) {
    throw new Error(
      `--impl ${name}: there is no folder ${displayPath(dir)} (--impl takes ${IMPLEMENTATIONS.join(', ')} or a folder laid out like exercises/)`,
    );
  }
  const inside = path.relative(REPO_ROOT, dir);
  if (inside.startsWith('..') || path.isAbsolute(inside)) {
    // Its imports (@grpc/grpc-js, #lib/...) resolve only inside the workbook, next to its package.json and node_modules.
    throw new Error(
      `--impl ${name}: ${displayPath(dir)} is outside the workbook; copy the folder into it (for example ${displayPath(path.join(REPO_ROOT, 'learners', path.basename(dir)))}), where its imports resolve`,
    );
  }
  const missing = IMPLEMENTATION_FILES.filter((file) => !existsSync(path.join(dir, file)));
  if (missing.length > 0) {
    throw new Error(
      `--impl ${name}: ${displayPath(dir)} lacks ${missing.join(', ')} (a folder laid out like exercises/ has ${IMPLEMENTATION_FILES.join(', ')})`,
    );
  }
  return { name, dir };
}

/** The runnable files of an implementation, by npm script name. */
export const PROGRAMS: Record<string, { file: string; extraArgs: string[] }> = {
  server: { file: 'server.ts', extraArgs: [] },
  client: { file: 'client.ts', extraArgs: [] },
  watch: { file: 'client.ts', extraArgs: ['--watch'] },
};

/**
 * Runs `file` in this process as if started with `node --import tsx/esm <file> <args>`:
 * it sees itself as the entry point, without the cost of a second process. A
 * proto that does not parse is bad input, said in one line (exit code 1);
 * anything else it throws is a bug, shown in full.
 */
export async function runAsProgram(file: string, args: string[]): Promise<void> {
  process.argv = [process.argv[0]!, file, ...args];
  try {
    await import(pathToFileURL(file).href);
  } catch (error) {
    const problem = protoParseProblem(error, PROTO_FILE);
    if (!problem) throw error;
    console.error(problem);
    process.exitCode = 1;
  }
}

/**
 * A file as the learner sees it in messages: "server.ts" is the implementation
 * folder's (exercises/server.ts, or the --impl folder's), a path with a slash is
 * the repo's (protos/task_manager.proto); written the way the learner's
 * platform writes paths (lib/display-path.ts).
 */
export function displayFile(file: string, impl: Implementation): string {
  const absolute = file.includes('/') ? path.join(REPO_ROOT, file) : path.join(impl.dir, file);
  return displayPath(absolute) + (file.endsWith('/') ? path.sep : '');
}
