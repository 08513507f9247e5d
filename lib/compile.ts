// Compiling a TypeScript program into one JavaScript file that plain `node` runs.
// The grader starts the learner's server and client code several times a run; under
// `node --import tsx/esm` each process spends ≈ 0.25 s and 0.3 CPU-s in tsx's loader
// before the first line runs. esbuild (the compiler tsx itself uses) bundles the same
// files once per change instead, kept in .checker/build/ until a file changes.
//
// The bundle must behave as the files do under tsx: each file keeps its own
// import.meta.url (lib/proto.ts finds the proto by it, isEntryPoint compares it),
// a program sees its own .ts path as process.argv[1], stack traces name the .ts
// files and lines (run with --enable-source-maps), and a file that does not compile
// fails only when it is imported, with the message tsx gives ("Transform failed").
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildFailure, Message, Plugin } from 'esbuild';
import { BUNDLE_FORMAT, bundleDir, fileHash, freshBundle, hashOf, type Manifest, readManifest } from './bundle-cache.mjs';
import { COMPILED_IMPORTS } from './compiled-import.ts';
import { REPO_ROOT } from './proto.ts';

/** The import.meta properties a file may use: in the bundle, each is a constant the file declares (see `define`). */
const IMPORT_META: Record<string, (file: string) => string> = {
  url: (file) => pathToFileURL(file).href,
  filename: (file) => file,
  dirname: (file) => path.dirname(file),
};
const importMetaConstant = (property: string) => `__importMeta_${property}`;

/** The declarations of `file`'s import.meta values, put before its first line (so no line moves). */
function importMetaLine(file: string): string {
  return Object.entries(IMPORT_META)
    .map(([property, value]) => `const ${importMetaConstant(property)} = ${JSON.stringify(value(file))}; `)
    .join('');
}

/** The name of the generated entry (the table of lazy files, then the program) in the bundle's source map. */
const ENTRY_NAME = 'compiled-entry.mjs';

export interface CompileRequest {
  /** The program's .ts file. */
  entry: string;
  /**
   * Files the program imports by a path known only when it runs (lib/compiled-import.ts
   * finds them in the bundle). Each is evaluated only when imported, as it would be.
   */
  lazyFiles?: string[];
  /** The bundle's file name in .checker/build/ (default: one made from the request). */
  name?: string;
}

export interface Compiled {
  /** The bundle to run: `node --enable-source-maps <file> <entry> <args>` (lib/process.ts runs it through a spare). */
  file: string;
  /** Each file that does not compile, with tsx's message for it (the bundle throws it where the file is imported). */
  errors: Map<string, string>;
}

/** The name of the bundle of `request` in .checker/build/. */
export function bundleName(request: CompileRequest): string {
  return request.name ?? hashOf(JSON.stringify(request));
}

/** The packages the last bundle of `request` imported (it may be out of date): what a spare loads ahead. */
export function packagesOf(request: CompileRequest): string[] {
  return readManifest(bundleName(request))?.packages ?? [];
}

/** The bundle of `request`, from .checker/build/ when no input changed since it was made. */
export async function compile(request: CompileRequest): Promise<Compiled> {
  const name = bundleName(request);
  const fresh = freshBundle(name);
  if (fresh) return { file: fresh.file, errors: new Map(Object.entries(fresh.manifest.errors)) };
  const dir = bundleDir();
  // The source map's paths are relative to the bundle's folder; its name comes from its content.
  const { code, inputs, errors, packages } = await build(request, path.join(dir, `${name}.mjs`));
  const bundle = `${name}-${hashOf(code).slice(0, 12)}.mjs`;
  mkdirSync(dir, { recursive: true });
  // Written under a temporary name, then renamed: another grader may read the same files meanwhile.
  const write = (file: string, content: string) => {
    const temporary = `${file}.${process.pid}-${Date.now()}`;
    writeFileSync(temporary, content);
    renameSync(temporary, file);
  };
  write(path.join(dir, bundle), code);
  const manifest: Manifest = { format: BUNDLE_FORMAT, bundle, inputs, errors: Object.fromEntries(errors), packages };
  const previous = readManifest(name)?.bundle;
  write(path.join(dir, `${name}.json`), JSON.stringify(manifest));
  // The bundle this one replaces is out of date for everyone (its files changed): only a run already under way uses it, from memory.
  if (previous !== undefined && previous !== bundle) rmSync(path.join(dir, previous), { force: true });
  pruneBundles(dir);
  return { file: path.join(dir, bundle), errors };
}

/** Bundles and manifests not used for this long are deleted when a new bundle is written. */
const UNUSED_FOR_MS = 7 * 24 * 3600 * 1000;

function pruneBundles(dir: string): void {
  const before = Date.now() - UNUSED_FOR_MS;
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    try {
      if (statSync(file).mtimeMs < before) rmSync(file, { force: true });
    } catch {
      // gone already (another grader pruned it)
    }
  }
}

/** Starts the compiler now (its first use costs ≈ 0.15 s), so a compile that comes later does not wait for it. */
export async function prepareCompiler(): Promise<void> {
  const esbuild = await import('esbuild');
  await esbuild.transform('');
}

/** tsx's message for a file that does not compile ("file:line:column: ERROR: text"), which checker/harness/explain.ts reads. */
function transformFailed(messages: Message[]): string {
  const lines = messages.flatMap(({ text, location }) => {
    if (!location) return [`ERROR: ${text}`];
    const file = path.resolve(REPO_ROOT, location.file);
    // Line 1 starts with the import.meta declarations: the learner's column and text come after them.
    const shift = location.line === 1 ? importMetaLine(file).length : 0;
    const column = Math.max(0, location.column - shift);
    const number = String(location.line);
    return [
      `${file}:${location.line}:${column}: ERROR: ${text}`,
      // The line itself, with a mark under the place, as esbuild shows it.
      `    ${number} │ ${location.lineText.slice(shift)}`,
      `    ${' '.repeat(number.length)} ╵ ${' '.repeat(column)}^`,
    ];
  });
  return `Transform failed with ${messages.length} error${messages.length === 1 ? '' : 's'}:\n${lines.join('\n')}`;
}

async function build(
  request: CompileRequest,
  outfile: string,
): Promise<{ code: string; inputs: Record<string, string>; errors: Map<string, string>; packages: string[] }> {
  const esbuild = await import('esbuild');
  /** Files that do not compile: each becomes a module that throws tsx's message when imported. */
  const errors = new Map<string, string>();
  /** The hash of each file as it was read for this bundle. */
  const read = new Map<string, string>();
  const tsconfig = path.join(REPO_ROOT, 'tsconfig.json');
  const lazy = request.lazyFiles ?? [];
  // The entry: the table of lazily imported files (lib/compiled-import.ts), then the program itself.
  const entry = [
    // Run as `node <bundle> <entry> <args>` (so the command line names the file), the program sees
    // `node <entry> <args>`, as under `node --import tsx/esm <entry> <args>`.
    `if (process.argv[2] === ${JSON.stringify(request.entry)}) process.argv.splice(1, 1);`,
    `globalThis[Symbol.for(${JSON.stringify(COMPILED_IMPORTS)})] = new Map([${lazy
      .map((file) => `[${JSON.stringify(file)}, () => import(${JSON.stringify(file)})]`)
      .join(', ')}]);`,
    `await import(${JSON.stringify(request.entry)});`,
  ].join('\n');
  const plugin: Plugin = {
    name: 'as-under-tsx',
    setup(builder) {
      builder.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
        const source = readFileSync(args.path);
        read.set(args.path, hashOf(source));
        const broken = errors.get(args.path);
        if (broken !== undefined) {
          // No import or export: esbuild then lets importers ask it for any name, as at run time.
          // Its stack is the message alone: frames of this stand-in would point at no file of the learner.
          const error = `Object.assign(new Error(${JSON.stringify(broken)}), { name: 'TransformError', stack: ${JSON.stringify(`TransformError: ${broken}`)} })`;
          return { contents: `throw ${error};`, loader: 'js' };
        }
        // This file's own import.meta values (see `define` below), declared on its first line so no line moves.
        const contents = importMetaLine(args.path) + source.toString('utf8');
        return { contents, loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js' };
      });
    },
  };
  // A file that does not compile is set aside and the bundle made again, a few times at most.
  for (let attempt = 0; attempt < 5; attempt++) {
    let failed: Message[];
    try {
      const result = await esbuild.build({
        stdin: { contents: entry, resolveDir: REPO_ROOT, sourcefile: ENTRY_NAME, loader: 'js' },
        absWorkingDir: REPO_ROOT,
        // Not written by esbuild (write: false), but the source map's paths are relative to it.
        outfile,
        bundle: true,
        write: false,
        metafile: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        sourcemap: 'inline',
        // Names kept as written, so stack traces and messages name the learner's own functions.
        keepNames: true,
        tsconfig,
        // Each file's import.meta.url names that file, not the bundle: an identifier each file declares (see the plugin).
        define: Object.fromEntries(Object.keys(IMPORT_META).map((property) => [`import.meta.${property}`, importMetaConstant(property)])),
        plugins: [plugin],
        logLevel: 'silent',
      });
      const inputs: Record<string, string> = { [tsconfig]: fileHash(tsconfig) ?? '' };
      for (const input of Object.keys(result.metafile.inputs)) {
        if (input === ENTRY_NAME) continue; // made here from the request, not read from a file
        const file = path.resolve(REPO_ROOT, input);
        inputs[file] = read.get(file) ?? fileHash(file) ?? '';
      }
      const imported = Object.values(result.metafile.outputs).flatMap((output) => output.imports);
      const packages = [
        ...new Set(imported.filter((entry) => entry.external && !entry.path.startsWith('node:')).map((entry) => entry.path)),
      ];
      return { code: result.outputFiles[0]!.text, inputs, errors, packages };
    } catch (error) {
      if (!(error instanceof Error && 'errors' in error)) throw error;
      failed = (error as BuildFailure).errors;
    }
    const byFile = new Map<string, Message[]>();
    for (const message of failed) {
      if (!message.location) continue;
      const file = path.resolve(REPO_ROOT, message.location.file);
      byFile.set(file, [...(byFile.get(file) ?? []), message]);
    }
    const unusable = [...byFile.keys()].some((file) => errors.has(file) || file.split(path.sep).includes('node_modules'));
    if (byFile.size === 0 || unusable) throw new Error(`could not compile ${request.entry}: ${transformFailed(failed)}`);
    for (const [file, messages] of byFile) errors.set(file, transformFailed(messages));
  }
  throw new Error(`could not compile ${request.entry}: too many files do not compile`);
}
