// Paths in messages, written the way the learner's platform writes them:
// exercises\server.ts on Windows, exercises/server.ts elsewhere. That is what
// Explorer, cmd and PowerShell show and accept, and what a learner copies into
// `copy`, `type` or `notepad` (cmd's own commands reject forward slashes).
//
// Commands the workbook prints for the learner to type carry no computed paths:
// only base names (`npm run solution -- --diff server.ts`) or the learner's own
// argument, repeated as typed (`--impl <folder>`). Node reads either separator,
// so those stay as they are; a path a future message puts into such a command
// should use forward slashes, which cmd, PowerShell and Git Bash all pass
// through unchanged (Git Bash would eat the backslashes).
import path from 'node:path';
import { REPO_ROOT } from './proto.ts';

export interface DisplayPathOptions {
  /** Paths inside this folder are shown relative to it (default: the checkout). */
  root?: string;
  /** path.win32 or path.posix (default: this platform's), so either can be tested anywhere. */
  pathApi?: path.PlatformPath;
}

/** `file` relative to the checkout when it is inside ("." for the checkout itself), else absolute; with the platform's separators. */
export function displayPath(file: string, { root = REPO_ROOT, pathApi = path }: DisplayPathOptions = {}): string {
  const absolute = pathApi.resolve(root, file);
  const relative = pathApi.relative(root, absolute);
  if (relative === '') return '.';
  // Another drive on Windows gives an absolute "relative" path.
  const outside = relative === '..' || relative.startsWith(`..${pathApi.sep}`) || pathApi.isAbsolute(relative);
  return outside ? absolute : relative;
}

/** A folder shown like displayPath, ending with the separator: exercises/ or .checker\backups\2026-01-31T09-30-00\ */
export function displayFolder(dir: string, options: DisplayPathOptions = {}): string {
  const { sep } = options.pathApi ?? path;
  const shown = displayPath(dir, options);
  return shown.endsWith(sep) ? shown : `${shown}${sep}`;
}
