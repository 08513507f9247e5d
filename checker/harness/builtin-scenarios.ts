// Scenarios any phase may run in the client host (see Harness.loadModule).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import type { Scenarios } from './host-protocol.ts';

/** What a module of the implementation exports, described in JSON. */
export interface ExportsReport {
  /** Each export: "function loggingInterceptor", "array [loggingInterceptor, authInterceptor]", "object", … */
  [name: string]: string;
}

export interface ModuleReport {
  exports: ExportsReport;
  /**
   * The addresses the file asked a grpc.Server to listen on while it was first
   * imported: a server.ts that runs main() when it is imported, not only as a program.
   */
  listenedOnImport: string[];
}

/** Per file, what it asked to listen on at its first import (a module is imported once per process). */
const listenedOnImport = new Map<string, string[]>();

/**
 * Imports `file` with grpc.Server#bindAsync watched: a call made from the file
 * itself is recorded and refused (nothing listens), any other (the grader's own
 * servers, running meanwhile) goes through untouched.
 */
async function importWatchingListens(file: string, load: (file: string) => Promise<Record<string, unknown>>, implDir: string) {
  const recorded: string[] = [];
  const original = grpc.Server.prototype.bindAsync;
  const fromImplementation = (stack: string) => stack.includes(implDir) || stack.includes(pathToFileURL(implDir).href);
  grpc.Server.prototype.bindAsync = function (this: grpc.Server, port, credentials, callback) {
    if (!fromImplementation(new Error().stack ?? '')) return original.call(this, port, credentials, callback);
    recorded.push(port);
    process.nextTick(() => callback(new Error('the grader imported this file: it listens nowhere'), -1));
  };
  try {
    return await load(file);
  } finally {
    grpc.Server.prototype.bindAsync = original;
    if (!listenedOnImport.has(file)) listenedOnImport.set(file, recorded);
  }
}

export const scenarios: Scenarios = {
  /** args: file. Reports 'module': each export's kind (the function names in an exported array), and listens at import. */
  async module({ load, args, report, implDir }) {
    const file = args.file as string;
    const module = await importWatchingListens(file, load, path.resolve(implDir));
    const exports: ExportsReport = {};
    for (const [name, value] of Object.entries(module)) {
      exports[name] = Array.isArray(value)
        ? `array [${value.map((item) => (typeof item === 'function' ? item.name || '(anonymous)' : typeof item)).join(', ')}]`
        : typeof value === 'function'
          ? `function ${value.name}`
          : typeof value;
    }
    const described: ModuleReport = { exports, listenedOnImport: listenedOnImport.get(file) ?? [] };
    report('module', described);
  },
};
