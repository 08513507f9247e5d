// @ts-check
// `npm run check` and `npm run hint`: checker/main.ts, compiled into one file by
// lib/compile.ts and run by plain node, so a run does not pay tsx's start-up cost
// (≈ 0.3 s). The bundle is made again, through tsx, whenever a file of the grader
// changes (the first run after `npm ci`, or after editing checker/ or lib/).
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshBundle } from '../lib/bundle-cache.mjs';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
/** The bundle's name in .checker/build/. */
const NAME = 'grader';

let bundle = freshBundle(NAME)?.file;
if (bundle === undefined) {
  const { register } = await import('tsx/esm/api');
  register();
  /** @type {typeof import('../lib/compile.ts')} */
  const { compile } = await import('../lib/compile.ts');
  bundle = (await compile({ entry: MAIN, name: NAME })).file;
}
// Stack traces name the .ts files (a grader error shows one).
process.setSourceMapsEnabled(true);
await import(pathToFileURL(bundle).href);
