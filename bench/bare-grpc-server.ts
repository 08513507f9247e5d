// A bare grpc-js server: the least a grpc-js server can do for CreateTask and
// GetTask. Same proto, same loader options, but a plain Map, no TaskStore (no
// copies, no event fan-out), no interceptor and no logging. `npm run bench`
// and `npm run bench -- --ceiling` compare the reference server with it.
// The other methods answer UNIMPLEMENTED (grpc-js does that for missing handlers).
//
// Run it alone: node --import tsx/esm bench/bare-grpc-server.ts [--host H] [--port P] (default localhost:50052).
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { type Address, formatAddress, isEntryPoint, parseAddress } from '../lib/cli.ts';
import { loadTaskManagerProto, type Task, type TaskManagerHandlers } from '../lib/proto.ts';
import { listeningLine } from '../lib/protocol.ts';

export const DEFAULT_BARE_PORT = 50052;

type BareHandlers = Pick<TaskManagerHandlers, 'CreateTask' | 'GetTask'>;

function createBareHandlers(tasks: Map<string, Task>): BareHandlers {
  return {
    CreateTask(call, callback) {
      const now = new Date().toISOString();
      const { title, description, tags } = call.request;
      const task: Task = { id: randomUUID(), title, description, status: 'TASK_STATUS_TODO', created_at: now, updated_at: now, tags };
      tasks.set(task.id, task);
      callback(null, { task });
    },
    GetTask(call, callback) {
      const task = tasks.get(call.request.id);
      if (!task) return callback({ code: grpc.status.NOT_FOUND, details: `no task with id "${call.request.id}"` });
      callback(null, { task });
    },
  };
}

export async function startBareServer({ host, port }: Address): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  const { taskmanager } = loadTaskManagerProto();
  server.addService(taskmanager.TaskManager.service, createBareHandlers(new Map()) as grpc.UntypedServiceImplementation);
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(formatAddress({ host, port }), grpc.ServerCredentials.createInsecure(), (error, actualPort) =>
      error ? reject(error) : resolve(actualPort),
    );
  });
  return { server, port: boundPort };
}

async function main(): Promise<void> {
  const address = parseAddress(process.argv.slice(2), { PORT: String(DEFAULT_BARE_PORT) });
  let server: grpc.Server;
  try {
    ({ server, port: address.port } = await startBareServer(address));
  } catch (error) {
    console.error(`Could not start the bare gRPC server: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1); // nothing was printed on stdout yet
  }
  console.log(listeningLine.format(address.host, address.port));
  const stop = () => {
    // No streams to wait for: a short grace, then force. Its one line of output is long written: nothing is pending.
    const forceTimer = setTimeout(() => {
      server.forceShutdown();
      process.exit(0); // nothing is pending (see above)
    }, 1000);
    server.tryShutdown(() => {
      clearTimeout(forceTimer);
      process.exit(0); // nothing is pending (see above)
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (isEntryPoint(import.meta.url)) await main();
