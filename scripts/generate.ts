// `npm run generate`: TypeScript types from protos/task_manager.proto into lib/generated/.
// `--check`: regenerate into a temporary folder and report whether lib/generated/ is stale.
// `--if-stale`: regenerate only when lib/generated/ is missing or stale (used before typecheck).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isEntryPoint } from '../lib/cli.ts';
import { displayFolder, displayPath } from '../lib/display-path.ts';
import { GENERATED_DIR, generatorFlags, PROTO_FILE, REPO_ROOT } from '../lib/proto.ts';

const GENERATOR = createRequire(import.meta.url).resolve('@grpc/proto-loader/build/bin/proto-loader-gen-types.js');

/** Runs proto-loader-gen-types into outDir; throws with the generator's message on failure. */
export function generateTypes(outDir: string, protoFile = PROTO_FILE): void {
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
  const fresh = mkdtempSync(path.join(tmpdir(), 'taskmanager-gen-'));
  try {
    generateTypes(fresh, protoFile);
    const expected = readTree(fresh);
    const actual = readTree(generatedDir);
    const names = new Set([...expected.keys(), ...actual.keys()]);
    return [...names].filter((name) => expected.get(name) !== actual.get(name)).sort();
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

function regenerate(): void {
  rmSync(GENERATED_DIR, { recursive: true, force: true });
  generateTypes(GENERATED_DIR);
  console.log(`generated types: ${displayFolder(GENERATED_DIR)} from ${displayPath(PROTO_FILE)}`);
}

if (isEntryPoint(import.meta.url)) {
  const mode = process.argv[2];
  try {
    if (mode === '--check') {
      const stale = staleGeneratedFiles();
      if (stale.length > 0) {
        console.error(`lib/generated/ is stale (${stale.join(', ')}): run npm run generate`);
        process.exitCode = 1;
      } else {
        console.log('lib/generated/ is up to date');
      }
    } else if (mode === '--if-stale') {
      if (staleGeneratedFiles().length > 0) regenerate();
    } else {
      regenerate();
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
