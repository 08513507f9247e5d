// Phase 2, run in the client host: the learner's five unary client functions
// against the reference server.
import type { ClientFunctions } from '../../../lib/client-demo.ts';
import type { TaskManagerClient } from '../../../lib/proto.ts';
import type { Scenarios } from '../../harness/host-protocol.ts';

export const scenarios: Scenarios = {
  /** args: address. Reports each call's outcome under the function's name. */
  async unaryCalls({ client, args, report, settle }) {
    const functions = client as unknown as ClientFunctions;
    const stub = functions.createClient(args.address as string) as TaskManagerClient;
    try {
      const created = await settle(() =>
        functions.createTask(stub, { title: 'From your client', description: 'phase 2', tags: ['client'] }),
      );
      report('createTask', created);
      const id = created.kind === 'value' ? (created.value?.id ?? '') : String(args.existingId);
      report('id', id);
      report('getTask', await settle(() => functions.getTask(stub, id)));
      report(
        'updateTask',
        await settle(() => functions.updateTask(stub, { id, title: 'Renamed by your client', status: 'TASK_STATUS_DONE' })),
      );
      report('listTasks', await settle(() => functions.listTasks(stub, { tag: 'client' })));
      report('deleteTask', await settle(() => functions.deleteTask(stub, id)));
      report('getTask-missing', await settle(() => functions.getTask(stub, args.missingId as string)));
      report('createTask-blank', await settle(() => functions.createTask(stub, { title: '  ' })));
      report('updateTask-missing', await settle(() => functions.updateTask(stub, { id: args.missingId as string, title: 'x' })));
      report('deleteTask-missing', await settle(() => functions.deleteTask(stub, args.missingId as string)));
      report('listTasks-blank-tag', await settle(() => functions.listTasks(stub, { tag: ' ' })));
    } finally {
      stub.close();
    }
  },
};
