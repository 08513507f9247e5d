// The progress line of a long run: one line rewritten in place on a terminal;
// plain lines, one per step, when the output is a file or a pipe (a log should
// not fill with carriage returns).
import pc from 'picocolors';

export interface Progress {
  /** Starts the next step. */
  next(what: string): void;
  /** What is happening within the step: shown on a terminal only. */
  detail(what: string): void;
  /** Clears the line (on a terminal) before the report is printed. */
  done(): void;
}

export function createProgress(totalSteps: number, out: NodeJS.WriteStream = process.stdout): Progress {
  const started = performance.now();
  let step = 0;
  const line = (what: string) => `[${step}/${totalSteps}] ${what}  (${((performance.now() - started) / 1000).toFixed(1)} s)`;
  // A line wider than the terminal would wrap, and \r would then rewrite only its last part.
  const rewrite = (what: string) => out.write(`\r\x1b[K${pc.dim(line(what).slice(0, Math.max(20, (out.columns || 80) - 1)))}`);
  return {
    next(what) {
      step += 1;
      if (out.isTTY) rewrite(what);
      else out.write(`${line(what)}\n`);
    },
    detail(what) {
      if (out.isTTY) rewrite(what);
    },
    done() {
      if (out.isTTY) out.write('\r\x1b[K');
    },
  };
}
