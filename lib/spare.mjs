// @ts-check
// A process started before its program is ready: `node lib/spare.mjs <entry> <args…>`.
// It loads the packages its program imports while the grader compiles the program
// (lib/compile.ts) or does other work, then reads one line on file descriptor 3,
// `{ "bundle": path, "env": {…} }`, and runs the bundle as `node <bundle> <entry>
// <args…>` would, with that environment. Its stdin, stdout and stderr are the
// program's, untouched: a program that never reads stdin must not be kept alive by it.
// `{ "fail": message }` instead: the program cannot start (it does not compile); say why, exit 1.
// The channel closing first (the grader is gone, or did not need this process): exit quietly.
// Plain JavaScript, so nothing but node runs before that line.
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { SPARE_PACKAGES_ENV } from './bundle-cache.mjs';

const packages = Promise.all(
  (process.env[SPARE_PACKAGES_ENV] ?? '')
    .split(',')
    .filter(Boolean)
    .map((name) => import(name).catch(() => {})),
);

/** The first line on file descriptor 3, or undefined if the channel closes first; then the channel is closed. */
function launchLine() {
  return new Promise((resolve) => {
    const channel = new net.Socket({ fd: 3, readable: true, writable: false });
    let received = Buffer.alloc(0);
    channel.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf(10);
      if (end >= 0) {
        channel.destroy();
        resolve(received.subarray(0, end).toString('utf8'));
      }
    });
    channel.on('close', () => resolve(undefined));
    channel.on('error', () => resolve(undefined));
  });
}

const line = await launchLine();
if (line !== undefined) {
  /** @type {{ bundle?: string, env?: Record<string, string>, fail?: string }} */
  const launch = JSON.parse(line);
  if (launch.fail !== undefined) {
    process.stderr.write(launch.fail);
    process.exitCode = 1;
  } else if (launch.bundle !== undefined) {
    if (launch.env) {
      for (const name of Object.keys(process.env)) delete process.env[name];
      Object.assign(process.env, launch.env);
    }
    await packages;
    await import(pathToFileURL(launch.bundle).href);
  }
}
