// `import()` of a file whose path is known only at run time, in a program that
// lib/compile.ts may have bundled: a bundle carries such files in a table (its
// lazyFiles, each evaluated on first import, as a real import would); run under
// tsx, the file is imported as usual.
import { pathToFileURL } from 'node:url';

/** The global under which a bundle keeps its table of lazily imported files. */
export const COMPILED_IMPORTS = 'workbook.compiledImports';

type Table = Map<string, () => Promise<Record<string, unknown>>>;

export function importFile(file: string): Promise<Record<string, unknown>> {
  const table = (globalThis as Record<symbol, Table | undefined>)[Symbol.for(COMPILED_IMPORTS)];
  const compiled = table?.get(file);
  return compiled ? compiled() : import(pathToFileURL(file).href);
}
