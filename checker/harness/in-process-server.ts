// A TaskManager server inside the grader's (or a test's) own process: the
// reference handlers, or any others, on 127.0.0.1 with a free port. The same
// calls as the server files make (new grpc.Server, addService, bindAsync), so the
// tools grade the learner's client against what the learner's server should be.
import * as grpc from '@grpc/grpc-js';
import type { HealthImplementation } from 'grpc-health-check';
import { createTaskManagerClient } from '../../lib/client-runtime.ts';
import { loadTaskManagerProto, type TaskManagerClient, type TaskManagerHandlers, taskManagerPackageDefinition } from '../../lib/proto.ts';
import { addHealthAndReflection, catchHandlerErrors, SERVER_OPTIONS, shutdownGracefully } from '../../lib/server-runtime.ts';
import { TaskStore } from '../../lib/store.ts';
import { createTaskManagerHandlers } from '../../solutions/server.ts';

export interface InProcessServer {
  server: grpc.Server;
  store: TaskStore;
  health: HealthImplementation;
  port: number;
  /** "127.0.0.1:port" */
  address: string;
  /** A client of this server (closed by stop()). */
  client: TaskManagerClient;
  /** Ends open streams, lets calls in flight finish (at most graceMs), then stops. */
  stop(graceMs?: number): Promise<void>;
}

export interface InProcessOptions {
  /** The handlers (default: the reference's, over `store`). */
  handlers?: (store: TaskStore) => Partial<TaskManagerHandlers>;
  interceptors?: grpc.ServerInterceptor[];
  store?: TaskStore;
  channelOptions?: grpc.ChannelOptions;
}

export async function startInProcessServer(options: InProcessOptions = {}): Promise<InProcessServer> {
  const store = options.store ?? new TaskStore();
  const server = new grpc.Server({ ...SERVER_OPTIONS, interceptors: options.interceptors ?? [] });
  const handlers = (options.handlers ?? createTaskManagerHandlers)(store);
  server.addService(
    loadTaskManagerProto().taskmanager.TaskManager.service,
    catchHandlerErrors(handlers) as grpc.UntypedServiceImplementation,
  );
  const health = addHealthAndReflection(server, taskManagerPackageDefinition());
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const address = `127.0.0.1:${port}`;
  const client = createTaskManagerClient(address, options.channelOptions);
  return {
    server,
    store,
    health,
    port,
    address,
    client,
    async stop(graceMs = 200) {
      client.close();
      await shutdownGracefully({ server, store, health }, graceMs);
    },
  };
}
