// Scenarios any phase may run in the client host (see Harness.moduleExports).
import type { Scenarios } from './host-protocol.ts';

/** What a module of the implementation exports, described in JSON. */
export interface ExportsReport {
  /** Each export: "function loggingInterceptor", "array [loggingInterceptor, authInterceptor]", "object", … */
  [name: string]: string;
}

export const scenarios: Scenarios = {
  /** args: file. Reports 'exports': each export's kind, and the function names in an exported array. */
  async exports({ load, args, report }) {
    const module = await load(args.file as string);
    const described: ExportsReport = {};
    for (const [name, value] of Object.entries(module)) {
      described[name] = Array.isArray(value)
        ? `array [${value.map((item) => (typeof item === 'function' ? item.name || '(anonymous)' : typeof item)).join(', ')}]`
        : typeof value === 'function'
          ? `function ${value.name}`
          : typeof value;
    }
    report('exports', described);
  },
};
