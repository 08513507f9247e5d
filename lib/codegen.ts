// Generating TypeScript types from the proto (proto-loader-gen-types, with flags
// derived from LOADER_OPTIONS), and telling whether lib/generated/ is up to date.
// Used by `npm run generate` (scripts/generate.ts), Phase 1 of the grader and the tests.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { protoParseProblem } from './cli.ts';
import { GENERATED_DIR, generatorFlags, LOADER_OPTIONS, PROTO_FILE, REPO_ROOT } from './proto.ts';

const GENERATOR = createRequire(import.meta.url).resolve('@grpc/proto-loader/build/bin/proto-loader-gen-types.js');

/** Runs proto-loader-gen-types into outDir; throws with the generator's message on failure. */
export function generateTypes(outDir: string, protoFile = PROTO_FILE): void {
  // Parse it here first: the runtime parser names the right line of a syntax
  // error (the generator's own count can be off), in one sentence.
  try {
    loadSync(protoFile, LOADER_OPTIONS);
  } catch (error) {
    throw new Error(protoParseProblem(error, protoFile) ?? String(error));
  }
  const args = [
    GENERATOR,
    ...generatorFlags(),
    '--grpcLib=@grpc/grpc-js',
    '--includeComments',
    `--outDir=${outDir}`,
    path.relative(REPO_ROOT, protoFile),
  ];
  const result = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`proto-loader-gen-types failed:\n${result.stderr || result.stdout}`);
  }
  writeFileSync(path.join(outDir, STAMP), `${JSON.stringify(stampFor(outDir, protoFile), null, 2)}\n`);
}

/**
 * Beside the generated files: what they were generated from and what they were.
 * While the proto, the generator and the files are as the stamp says, the types
 * are fresh without running the generator again (a second process, about a
 * second of CPU); anything else falls back to generating and comparing.
 */
const STAMP = '.generated-from.json';

interface Stamp {
  proto: string;
  generator: string;
  files: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function stampFor(generatedDir: string, protoFile: string): Stamp {
  const files = [...readTree(generatedDir)].filter(([name]) => name !== STAMP).sort(([a], [b]) => (a < b ? -1 : 1));
  const version = (createRequire(import.meta.url)('@grpc/proto-loader/package.json') as { version: string }).version;
  return {
    proto: sha256(readFileSync(protoFile, 'utf8')),
    generator: `proto-loader-gen-types ${version} ${generatorFlags().join(' ')}`,
    files: sha256(files.map(([name, text]) => `${name}\n${text}`).join('\n')),
  };
}

function stampHolds(generatedDir: string, protoFile: string): boolean {
  try {
    const recorded = JSON.parse(readFileSync(path.join(generatedDir, STAMP), 'utf8')) as Stamp;
    const now = stampFor(generatedDir, protoFile);
    return recorded.proto === now.proto && recorded.generator === now.generator && recorded.files === now.files;
  } catch {
    return false; // no stamp (or an unreadable one): generate and compare
  }
}

function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!existsSync(dir)) return files;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dir, full).split(path.sep).join('/'), readFileSync(full, 'utf8'));
  }
  return files;
}

/** File names (relative to generatedDir) that differ from a fresh generation; empty when up to date. */
export function staleGeneratedFiles(generatedDir = GENERATED_DIR, protoFile = PROTO_FILE): string[] {
  if (stampHolds(generatedDir, protoFile)) return [];
  const fresh = mkdtempSync(path.join(tmpdir(), 'taskmanager-gen-'));
  try {
    generateTypes(fresh, protoFile);
    const expected = readTree(fresh);
    const actual = readTree(generatedDir);
    expected.delete(STAMP);
    actual.delete(STAMP);
    const names = new Set([...expected.keys(), ...actual.keys()]);
    return [...names].filter((name) => expected.get(name) !== actual.get(name)).sort();
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

/** True when `generatedDir` has no generated files at all (npm run generate never ran there). */
export function generatedTypesMissing(generatedDir = GENERATED_DIR): boolean {
  const tree = readTree(generatedDir);
  tree.delete(STAMP);
  return tree.size === 0;
}
