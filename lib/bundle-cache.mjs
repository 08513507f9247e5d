// @ts-check
// Where lib/compile.ts keeps its bundles, whether one is still fresh, and the
// packages a bundle imports (which a spare, lib/spare.mjs, loads ahead). Plain
// JavaScript: checker/start.mjs and lib/spare.mjs read it before anything can
// load TypeScript.
import { createHash } from 'node:crypto';
import { readFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when the bundles' shape changes, so bundles of an older shape are not reused. */
export const BUNDLE_FORMAT = 2;

/** .checker/build/ in the workbook; BUNDLE_DIR_ENV moves it (tests), to a folder inside the workbook: a bundle finds its packages from where it lies. */
export const BUNDLE_DIR_ENV = 'WORKBOOK_BUNDLE_DIR';

export function bundleDir() {
  return process.env[BUNDLE_DIR_ENV] || fileURLToPath(new URL('../.checker/build/', import.meta.url));
}

/** For lib/spare.mjs: the packages to load ahead, comma-separated (those the program's last bundle imported). */
export const SPARE_PACKAGES_ENV = 'WORKBOOK_SPARE_PACKAGES';

/** @param {string | Buffer} content */
export function hashOf(content) {
  return createHash('sha1').update(content).digest('hex');
}

/** The hash of a file's content, or undefined when it cannot be read. @param {string} file */
export function fileHash(file) {
  try {
    return hashOf(readFileSync(file));
  } catch {
    return undefined;
  }
}

/**
 * @typedef {{ format: number, bundle: string, inputs: Record<string, string>, errors: Record<string, string>, packages: string[] }} Manifest
 * `<name>.json`: the bundle's file (named after its content, so a manifest never
 * names a bundle made from other files), what it was made from (each file's hash),
 * the files that did not compile, and the packages it imports.
 */

/** The manifest of bundle `name`, fresh or not, or undefined. @param {string} name @returns {Manifest | undefined} */
export function readManifest(name) {
  try {
    const manifest = JSON.parse(readFileSync(path.join(bundleDir(), `${name}.json`), 'utf8'));
    return manifest.format === BUNDLE_FORMAT ? manifest : undefined;
  } catch {
    return undefined; // no bundle yet
  }
}

/**
 * The bundle `name` and its manifest, if every file it was made from is as it
 * was then; undefined otherwise. A bundle in use is marked as used (see pruning in lib/compile.ts).
 * @param {string} name
 * @returns {{ file: string, manifest: Manifest } | undefined}
 */
export function freshBundle(name) {
  const manifest = readManifest(name);
  const fresh = manifest !== undefined && Object.entries(manifest.inputs).every(([input, hash]) => fileHash(input) === hash);
  if (!fresh) return undefined;
  const file = path.join(bundleDir(), manifest.bundle);
  const now = new Date();
  try {
    utimesSync(file, now, now);
    utimesSync(path.join(bundleDir(), `${name}.json`), now, now);
  } catch {
    return undefined; // the bundle is gone
  }
  return { file, manifest };
}
