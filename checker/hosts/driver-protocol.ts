// How checker/hosts/client-driver.ts reports to the checker: one line per message,
// `@@checker ` followed by JSON, mixed with whatever the learner's code prints.
import type { TaskEvent } from '../../lib/client-runtime.ts';

export const DRIVER_MESSAGE_PREFIX = '@@checker ';

export type DriverMessage =
  | { type: 'ready' }
  | { type: 'event'; event: TaskEvent }
  | { type: 'todo'; label: string; message: string }
  | { type: 'threw'; label: string; message: string }
  | { type: 'result'; label: string; value: unknown }
  | { type: 'timeout'; label: string }
  | { type: 'wiring'; exportsInterceptors: boolean; installed: boolean; count: number };

export function sendToChecker(message: DriverMessage): void {
  console.log(`${DRIVER_MESSAGE_PREFIX}${JSON.stringify(message)}`);
}
