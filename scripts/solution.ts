// `npm run solution`: the reference server and the client demo together, so a
// learner sees what "done" looks like: CRUD, a NOT_FOUND error caught, live
// events, and the server's interceptor lines (prefixed [server]).
// `npm run solution -- server` / `-- client` run one side, like `npm run server -- --impl solutions`.
import path from 'node:path';
import pc from 'picocolors';
import { runDemo } from '../lib/client-demo.ts';
import { createTaskManagerClient } from '../lib/client-runtime.ts';
import { PROGRAMS, resolveImplementation, runAsProgram } from '../lib/implementation.ts';
import { startServerProcess } from '../lib/process.ts';
import { fetchTask, watchTasks } from '../solutions/client.ts';

const solutions = resolveImplementation('solutions');
const [side, ...args] = process.argv.slice(2);

if (side === 'server' || side === 'client') {
  await runAsProgram(path.join(solutions.dir, PROGRAMS[side]!.file), args);
} else if (side !== undefined) {
  console.error('usage: npm run solution [-- server | -- client]');
  process.exit(2);
} else {
  console.log(pc.bold('Reference server and client demo (solutions/)'));
  const server = await startServerProcess(path.join(solutions.dir, 'server.ts'), {
    echo: (line) => console.log(pc.dim(`[server] ${line}`)),
  });
  const client = createTaskManagerClient(server.address);
  let ok = false;
  try {
    const watchLogged = server.waitForLine(/WatchTasks/, 1000);
    ok = await runDemo(client, { watchTasks, fetchTask });
    await watchLogged; // the server logs the cancelled watch: show it before stopping
  } finally {
    client.close();
    await server.stop();
  }
  console.log(ok ? pc.green('✔ reference demo finished') : pc.red('✘ reference demo failed'));
  process.exitCode = ok ? 0 : 1;
}
