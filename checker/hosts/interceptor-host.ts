// The reference handlers behind the learner's loggingInterceptor, so phase 4
// grades the interceptor alone, whatever state the learner's handlers are in.
//   --interceptors <path of interceptors.ts> --host H --port P
import { pathToFileURL } from 'node:url';
import { readOptions } from '../../lib/cli.ts';
import { serve } from '../../lib/server-runtime.ts';
import { createTaskManagerHandlers } from '../../solutions/server.ts';

const file = readOptions(process.argv.slice(2), ['interceptors']).interceptors;
if (!file) throw new Error('usage: interceptor-host.ts --interceptors <file>');
const { loggingInterceptor } = (await import(pathToFileURL(file).href)) as { loggingInterceptor?: unknown };
if (typeof loggingInterceptor !== 'function') {
  console.error(`Error: ${file} does not export a function named loggingInterceptor`);
  process.exit(1);
}
await serve({ createHandlers: createTaskManagerHandlers, interceptors: [loggingInterceptor as never] });
