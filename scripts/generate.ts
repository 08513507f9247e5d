// `npm run generate`: TypeScript types from protos/task_manager.proto into lib/generated/.
// `--check`: regenerate into a temporary folder and report whether lib/generated/ is stale.
// `--if-stale`: regenerate only when lib/generated/ is missing or stale (used before typecheck).
import { rmSync } from 'node:fs';
import { generateTypes, staleGeneratedFiles } from '../lib/codegen.ts';
import { displayFolder, displayPath } from '../lib/display-path.ts';
import { GENERATED_DIR, PROTO_FILE } from '../lib/proto.ts';

function regenerate(): void {
  rmSync(GENERATED_DIR, { recursive: true, force: true });
  generateTypes(GENERATED_DIR);
  console.log(`generated types: ${displayFolder(GENERATED_DIR)} from ${displayPath(PROTO_FILE)}`);
}

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
