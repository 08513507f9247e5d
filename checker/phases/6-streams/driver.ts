// Phase 6, run in the client host: the learner's importTasks and syncTasks
// against the reference server, and against small servers of the grader's own
// that half-close late, fail on purpose, or only count what arrives.
import * as grpc from '@grpc/grpc-js';
import type { ClientFunctions } from '../../../lib/client-demo.ts';
import type { SyncTasksRequest, SyncTasksResponse, TaskManagerClient, TaskManagerHandlers } from '../../../lib/proto.ts';
import { loadTaskManagerProto } from '../../../lib/proto.ts';
import type { ScenarioContext, Scenarios } from '../../harness/host-protocol.ts';

/** The Phase 6 functions of client.ts (with createClient from Phase 2). */
type StreamFunctions = Required<Pick<ClientFunctions, 'createClient' | 'importTasks' | 'syncTasks'>>;

export const FAILED_IMPORT_DETAILS = 'the grader refused this import on purpose';
export const FAILED_SESSION_DETAILS = 'the grader ended this session on purpose';
export const LATE_TITLES = ['Sent after your half-close 1', 'Sent after your half-close 2'];
/** How long a scenario waits for what a server of its own should see. */
const WAIT_MS = 1000;
/** How many messages the backpressure scenario writes with each function: far more than the 16 grpc-js buffers. */
export const BACKPRESSURE_MESSAGES = 200;

/** What the backpressure scenario saw of the learner's writes on one call. */
export interface WriteWatch {
  writes: number;
  /** write() calls that returned false (grpc-js asked to wait for 'drain'). */
  refused: number;
  /** write() calls made after a false and before the 'drain' that followed it. */
  ignored: number;
}

type Handlers = Partial<TaskManagerHandlers>;

/** A server of the grader's own in this process, for the scenario's length. */
async function withServer<T>(handlers: Handlers, use: (address: string) => Promise<T>): Promise<T> {
  const server = new grpc.Server();
  server.addService(loadTaskManagerProto().taskmanager.TaskManager.service, handlers as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  try {
    return await use(`127.0.0.1:${port}`);
  } finally {
    server.forceShutdown();
  }
}

/** The learner's syncTasks with `commands`; reports every message it handed over (`messages`) and how it settled (`settled`). */
async function runSync(
  { client, report, settle }: ScenarioContext,
  address: string,
  commands: SyncTasksRequest[],
  extra: () => Promise<Record<string, unknown>> = async () => ({}),
): Promise<void> {
  const functions = client as unknown as StreamFunctions;
  const stub = functions.createClient(address);
  const messages: SyncTasksResponse[] = [];
  try {
    const settled = await settle(() => functions.syncTasks(stub, commands, (response) => messages.push(response)));
    // What had arrived when the promise settled: a late message would show up only after.
    const arrived = [...messages];
    report('sync', { settled, messages: arrived, ...(await extra()) });
  } finally {
    stub.close();
  }
}

export const scenarios: Scenarios = {
  /** args: address (the reference), tag. Reports 'import' and 'import-empty'. */
  async imports({ client, args, report, settle }) {
    const functions = client as unknown as StreamFunctions;
    const stub = functions.createClient(args.address as string);
    const tags = [args.tag as string];
    try {
      report(
        'import',
        await settle(() =>
          functions.importTasks(stub, [
            { title: 'Imported by your client 1', tags },
            { title: '   ', tags },
            { title: 'Imported by your client 2', tags },
          ]),
        ),
      );
      report('import-empty', await settle(() => functions.importTasks(stub, [])));
    } finally {
      stub.close();
    }
  },

  /** A server that reads two items, then refuses the import: reports 'import-fails'. */
  async importFails({ client, report, settle }) {
    const functions = client as unknown as StreamFunctions;
    const handlers: Handlers = {
      ImportTasks(call, callback) {
        let read = 0;
        call.on('data', () => {
          read += 1;
          if (read === 2) callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: FAILED_IMPORT_DETAILS });
        });
        call.on('end', () => callback(null, { created_count: read, rejected: [] }));
      },
    };
    await withServer(handlers, async (address) => {
      const stub = functions.createClient(address);
      const tasks = ['one', 'two', 'three'].map((title) => ({ title }));
      report('import-fails', await settle(() => functions.importTasks(stub, tasks)));
      stub.close();
    });
  },

  /** args: address (the reference), commands. Reports 'sync'. */
  async sync(context) {
    await runSync(context, context.args.address as string, context.args.commands as SyncTasksRequest[]);
  },

  /**
   * A server that answers each command, and once the client has half-closed
   * sends two more messages before it ends the call. Reports 'sync' with
   * `halfClosed`: whether the server saw the client half-close.
   */
  async syncLate(context) {
    let halfClosed = false;
    let sawHalfClose = () => {};
    const halfClose = new Promise<void>((resolve) => (sawHalfClose = resolve));
    const handlers: Handlers = {
      SyncTasks(call) {
        let index = 0;
        call.on('data', () => call.write({ result: { command_index: index++ } }));
        call.on('end', () => {
          halfClosed = true;
          sawHalfClose();
          for (const title of LATE_TITLES) call.write({ event: { event_type: 'TASK_EVENT_TYPE_CREATED', task: { title } } });
          call.end();
        });
      },
    };
    await withServer(handlers, (address) =>
      runSync(context, address, [{ delete: { id: 'one' } }, { delete: { id: 'two' } }], async () => {
        // A half-close sent just before syncTasks settled may still be on its way.
        await Promise.race([halfClose, new Promise((resolve) => setTimeout(resolve, WAIT_MS))]);
        return { halfClosed };
      }),
    );
  },

  /** A server that answers the first command, then fails the call: reports 'sync'. */
  async syncFails(context) {
    const handlers: Handlers = {
      SyncTasks(call) {
        call.once('data', () => {
          call.write({ result: { command_index: 0 } });
          call.emit('error', { code: grpc.status.UNAVAILABLE, details: FAILED_SESSION_DETAILS });
        });
      },
    };
    await withServer(handlers, (address) => runSync(context, address, [{ delete: { id: 'one' } }, { delete: { id: 'two' } }]));
  },

  /**
   * Many messages through importTasks and syncTasks, to a server that reads
   * them all, with every write() the learner's code makes watched. Reports
   * 'backpressure': { importTasks: WriteWatch, syncTasks: WriteWatch, settled }.
   */
  async backpressure({ client, report, settle }) {
    const functions = client as unknown as StreamFunctions;
    const handlers: Handlers = {
      ImportTasks(call, callback) {
        let read = 0;
        call.on('data', () => (read += 1));
        call.on('end', () => callback(null, { created_count: read, rejected: [] }));
      },
      SyncTasks(call) {
        call.on('data', () => {});
        call.on('end', () => call.end());
      },
    };
    await withServer(handlers, async (address) => {
      const stub = functions.createClient(address);
      const watches: Record<string, WriteWatch> = {};
      watchWrites(stub, watches);
      const tasks = Array.from({ length: BACKPRESSURE_MESSAGES }, (_, n) => ({ title: `Task ${n + 1}` }));
      const imported = await settle(() => functions.importTasks(stub, tasks));
      const synced = await settle(() =>
        functions.syncTasks(
          stub,
          tasks.map((task) => ({ create: task })),
          () => {},
        ),
      );
      report('backpressure', { ...watches, imported, synced });
      stub.close();
    });
  },
};

/**
 * Watches each write() on the calls the learner opens with `stub` (under either
 * spelling of the method): a write made while grpc-js waits for 'drain' ignores
 * backpressure. Our 'drain' listener is the first on the call, so it runs
 * before any the learner adds.
 */
function watchWrites(stub: TaskManagerClient, watches: Record<string, WriteWatch>): void {
  const methods = { ImportTasks: 'importTasks', importTasks: 'importTasks', SyncTasks: 'syncTasks', syncTasks: 'syncTasks' } as const;
  const target = stub as unknown as Record<string, (...args: unknown[]) => grpc.ClientWritableStream<unknown>>;
  for (const [method, functionName] of Object.entries(methods)) {
    const open = target[method]!.bind(stub);
    target[method] = (...args) => {
      const call = open(...args);
      const watch: WriteWatch = { writes: 0, refused: 0, ignored: 0 };
      watches[functionName] = watch;
      let waitingForDrain = false;
      call.on('drain', () => {
        waitingForDrain = false;
      });
      const write = call.write.bind(call) as (...writeArgs: unknown[]) => boolean;
      call.write = ((...writeArgs: unknown[]) => {
        watch.writes += 1;
        if (waitingForDrain) watch.ignored += 1;
        const accepted = write(...writeArgs);
        if (!accepted) {
          watch.refused += 1;
          waitingForDrain = true;
        }
        return accepted;
      }) as typeof call.write;
      return call;
    };
  }
}
