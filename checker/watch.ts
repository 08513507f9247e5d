// `npm run check -- --watch`: checks the current phase, then again on every save
// under the implementation folder (exercises/ unless --impl), like `rustlings watch`.
// A save clears the screen and prints "Checking…" at once; saves within
// DEBOUNCE_MS make one run; a save during a run makes one more run after it.
// The learner's code only ever runs in child processes (the checker's harness),
// so a syntax error or a crash is a result on screen, never the end of the watcher.
// q or Ctrl+C quits, stopping any run in progress and every process it started.
import { type FSWatcher, readdirSync, watch } from 'node:fs';
import path from 'node:path';
import { createColors } from 'picocolors';
import { exitAfterOutput } from '../lib/cli.ts';
import { prepareCompiler } from '../lib/compile.ts';
import { displayFolder, displayPath } from '../lib/display-path.ts';
import type { Implementation } from '../lib/implementation.ts';
import { killAllChildren, prepareSpares } from '../lib/process.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { phaseFiles } from './harness/phase.ts';
import { nextStep, showHint } from './hints.ts';
import { PHASES } from './phases/index.ts';
import { runInTerminal } from './report/terminal.ts';
import type { RunOutcome } from './run.ts';

export const DEBOUNCE_MS = 150;

/** Printed when a run starts; the terminal test waits for it. */
export const CHECKING = 'Checking…';

const SOURCE_FILE = /\.(ts|mts|cts|js|mjs|cjs|json|proto)$/;

/**
 * Whether a saved file name is worth a run: source files only, not editor
 * temporaries (vim's .x.swp and 4913, emacs' #x# and .#x, x~, JetBrains'
 * x___jb_tmp___, any dot file).
 */
export function isWatchedFile(name: string): boolean {
  const base = path.basename(name);
  return !base.startsWith('.') && !base.startsWith('#') && SOURCE_FILE.test(base);
}

export interface SchedulerCallbacks {
  /** One check run; the scheduler never starts two at once. */
  run: () => Promise<void>;
  /** A run is coming (first save of a burst, or runNow): clear the screen and say "Checking…". */
  announce: (reason: string) => void;
  /** A save arrived during a run: it will run once more when this one ends. */
  queued?: () => void;
}

/** Turns saves into runs: debounced, one at a time, and one more after a run if something was saved during it. */
export class RerunScheduler {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #queuedReason: string | undefined;
  #stopped = false;

  constructor(
    readonly callbacks: SchedulerCallbacks,
    readonly debounceMs: number = DEBOUNCE_MS,
  ) {}

  /** A file was saved. */
  changed(reason: string): void {
    if (this.#stopped) return;
    if (this.#running) {
      if (this.#queuedReason === undefined) this.callbacks.queued?.();
      this.#queuedReason = reason;
      return;
    }
    if (this.#timer === undefined) this.callbacks.announce(reason);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#start(), this.debounceMs);
  }

  /** Run at once (the first run, the r key); during a run, once more after it. */
  runNow(reason: string): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.changed(reason);
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.callbacks.announce(reason);
    this.#start();
  }

  /** True when no run is in progress, scheduled or queued. */
  get idle(): boolean {
    return this.#running === undefined && this.#timer === undefined && this.#queuedReason === undefined;
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  /** The run in progress, if any (resolves when it ends, never rejects). */
  get current(): Promise<void> | undefined {
    return this.#running;
  }

  /** No more runs: pending saves are dropped (a run in progress is the caller's to stop). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queuedReason = undefined;
  }

  #start(): void {
    this.#timer = undefined;
    this.#running = this.callbacks
      .run()
      .catch(() => {}) // the run reports its own errors; the scheduler keeps going
      .finally(() => {
        this.#running = undefined;
        const reason = this.#queuedReason;
        this.#queuedReason = undefined;
        if (reason !== undefined) this.changed(reason);
      });
  }
}

interface WatchTarget {
  dir: string;
  recursive: boolean;
  accept: (name: string) => boolean;
}

/** What to watch: the implementation folder, plus the phases' files outside exercises/ (the proto, for Phase 1). */
export function watchTargets(
  impl: Implementation,
  phaseNumbers: readonly number[],
  platform: NodeJS.Platform = process.platform,
): WatchTarget[] {
  // fs.watch is recursive on macOS and Windows; on Linux (before Node 22) watch each folder.
  const recursive = platform === 'darwin' || platform === 'win32';
  const implDirs = recursive ? [impl.dir] : foldersUnder(impl.dir);
  const targets: WatchTarget[] = implDirs.map((dir) => ({ dir, recursive, accept: isWatchedFile }));
  const outside = new Map<string, Set<string>>();
  for (const phase of PHASES.filter((p) => phaseNumbers.includes(p.number))) {
    for (const file of phaseFiles(phase).filter((f) => f.includes('/') && !f.endsWith('/'))) {
      const absolute = path.join(REPO_ROOT, file);
      const names = outside.get(path.dirname(absolute)) ?? new Set<string>();
      names.add(path.basename(absolute));
      outside.set(path.dirname(absolute), names);
    }
  }
  for (const [dir, names] of outside) targets.push({ dir, recursive: false, accept: (name) => names.has(path.basename(name)) });
  return targets;
}

/** A folder and its subfolders (not dot folders or node_modules), at most 50. */
function foldersUnder(root: string): string[] {
  const folders = [root];
  for (let i = 0; i < folders.length && folders.length < 50; i += 1) {
    try {
      for (const entry of readdirSync(folders[i]!, { withFileTypes: true })) {
        if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
          folders.push(path.join(folders[i]!, entry.name));
      }
    } catch {
      // Gone or unreadable: nothing to watch there.
    }
  }
  return folders.slice(0, 50);
}

export interface WatchOptions {
  phases: number[];
  stopAtFirstFailure: boolean;
  impl: Implementation;
  verbose: boolean;
  colors: boolean;
}

const CLEAR_SCREEN = '\x1b[2J\x1b[3J\x1b[H';
const CTRL_C = '\x03';
const CTRL_D = '\x04';

/** Runs watch mode until q, Ctrl+C or a signal; never returns. */
export function watchCommand(options: WatchOptions): Promise<never> {
  const c = createColors(options.colors);
  const out = process.stdout;
  const input = process.stdin;
  const print = (line = '') => console.log(line);
  const interactive = input.isTTY === true;
  const shown = (file: string) => displayPath(file);
  const implShown = displayFolder(options.impl.dir);
  let last: RunOutcome | undefined;
  /** After the first run, a save re-checks from the learner's current phase on (the earlier ones passed). */
  let phases = options.phases;

  const keysLine = () =>
    c.dim(
      interactive
        ? `Watching ${implShown} for saves · ${c.bold('h')} hint · ${c.bold('r')} check again · ${c.bold('q')} quit`
        : `Watching ${implShown} for saves · Ctrl+C quits`,
    );

  const afterRun = (outcome: RunOutcome) => {
    const step = nextStep(outcome.results, options.impl);
    if (step && options.stopAtFirstFailure) phases = options.phases.filter((number) => number >= step.phase.number);
    if (!step) {
      const phases = outcome.results.map((result) => result.phase);
      const more = PHASES.find((phase) => phase.number > Math.max(...phases));
      print(c.green(`✔ ${phases.length === 1 ? `Phase ${phases[0]} passes` : 'Every phase passes'}.`));
      if (more && !options.stopAtFirstFailure) print(`Next: ${c.bold(`npm run check -- --phase ${more.number} --watch`)} (${more.title})`);
    } else {
      const what = step.check.status === 'error' ? 'so that it starts (the error is above)' : `to pass “${step.check.name}”`;
      print(`${c.bold('Next:')} edit ${c.bold(step.file)} ${what}`);
      if (step.files.length > 1) print(c.dim(`      Phase ${step.phase.number} files: ${step.files.join(', ')}`));
    }
    print(keysLine());
  };

  const scheduler = new RerunScheduler({
    announce(reason) {
      if (out.isTTY) out.write(CLEAR_SCREEN);
      else print(c.dim('─'.repeat(40)));
      print(`${c.bold(c.yellow(CHECKING))} ${c.dim(`(${reason})`)}`);
    },
    queued() {
      print(c.dim('(saved during this run: checking again when it ends)'));
    },
    async run() {
      try {
        const outcome = await runInTerminal({
          phases,
          stopAtFirstFailure: options.stopAtFirstFailure,
          impl: options.impl,
          verbose: options.verbose,
          colors: options.colors,
          print: (line) => print(line),
          rerunCommand: () => (interactive ? 'save a file, or press r' : 'save a file'),
        });
        last = outcome;
        afterRun(outcome);
      } catch (error) {
        // A bug of the checker itself, not of the learner's code: say so, keep watching.
        print(c.red(`The checker itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));
        print(keysLine());
      } finally {
        killAllChildren(); // nothing a run started may outlive it
        // Processes for the next run, started now while the learner reads: they are ready when a save comes.
        if (!quitting) {
          prepareSpares();
          void prepareCompiler().catch(() => {}); // a save compiles: the compiler is ready too
        }
      }
    },
  });

  // ---- Saves ----
  const watchers: FSWatcher[] = [];
  for (const target of watchTargets(options.impl, options.phases)) {
    try {
      const watcher = watch(target.dir, { recursive: target.recursive }, (_event, filename) => {
        const name = filename?.toString();
        if (name !== undefined && !target.accept(name)) return;
        scheduler.changed(name === undefined ? 'a file was saved' : `saved ${shown(path.join(target.dir, name))}`);
      });
      watcher.on('error', (error) => print(c.yellow(`(stopped watching ${shown(target.dir)}: ${error.message})`)));
      watchers.push(watcher);
    } catch (error) {
      print(c.yellow(`(cannot watch ${shown(target.dir)}: ${error instanceof Error ? error.message : String(error)})`));
    }
  }

  // ---- Quitting: q, Ctrl+C, or a signal ----
  let quitting = false;
  const quit = (code: number) => {
    if (quitting) return;
    quitting = true;
    scheduler.stop();
    for (const watcher of watchers) watcher.close();
    if (interactive) input.setRawMode(false);
    input.pause();
    killAllChildren(); // a run in progress: its servers and drivers go with it
    try {
      print(c.dim(scheduler.running ? 'Stopped the run in progress. Bye.' : 'Bye.'));
    } catch {
      // The terminal is gone (SIGHUP): nobody to say goodbye to.
    }
    exitAfterOutput(code);
  };
  out.on('error', () => quit(0)); // the terminal or pipe closed: nobody is watching any more
  process.on('SIGINT', () => quit(130));
  process.on('SIGTERM', () => quit(143));
  process.on('SIGHUP', () => quit(129));
  process.on('exit', () => {
    if (interactive) input.setRawMode(false);
  });
  // Defensive: nothing the checker does should throw here, but the watcher outlives it if it does.
  process.on('uncaughtException', (error) => print(c.red(`(unexpected error, still watching: ${error.stack ?? error.message})`)));
  process.on('unhandledRejection', (reason) => print(c.red(`(unexpected error, still watching: ${String(reason)})`)));

  // ---- Keys ----
  if (interactive) input.setRawMode(true);
  input.setEncoding('utf8');
  input.on('data', (data: string) => {
    for (const key of data) {
      if (key === 'q' || key === 'Q' || key === CTRL_C || key === CTRL_D) quit(0);
      else if (key === 'r' || key === 'R') scheduler.runNow('you pressed r');
      else if (key === 'h' || key === 'H') {
        if (scheduler.running || !last) {
          print(c.dim('(a check is running: press h again when it ends)'));
        } else {
          print('');
          showHint(last.results, options.impl, { colors: options.colors, print, askAgain: 'Press h again' });
          print(keysLine());
        }
      }
    }
  });
  input.on('error', () => {}); // stdin closed under us: keep watching, signals still work
  input.resume();

  scheduler.runNow(`${options.phases.length === 1 ? `Phase ${options.phases[0]}` : 'your current phase'}, ${implShown}`);
  return new Promise<never>(() => {});
}
