// A load thread (started by bench/load.ts): runs the jobs it is sent, one at a
// time, and answers each with its result. It holds no state between jobs.
import { isMainThread, parentPort } from 'node:worker_threads';
import { runLoadJob, type ThreadJobMessage, type ThreadReplyMessage } from './closed-loop.ts';

if (!isMainThread && parentPort) {
  const port = parentPort;
  const reply = (message: ThreadReplyMessage) => port.postMessage(message);
  port.on('message', ({ id, job }: ThreadJobMessage) => {
    runLoadJob(job).then(
      (result) => reply({ id, result }),
      (error: unknown) => reply({ id, failure: error instanceof Error ? error.message : String(error) }),
    );
  });
  reply({ ready: true });
}
