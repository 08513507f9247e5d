// Reading a stream of messages from a call the grader made: what arrived, how it
// ended, and a way to wait for more (every wait bounded).
import type * as grpc from '@grpc/grpc-js';

export interface CollectedStream<T> {
  messages: T[];
  /** The final status once the call has ended ('status' is the reliable signal: 'end' also follows a failure). */
  status: grpc.StatusObject | undefined;
  /** True once `count` messages have arrived; false after `ms`, or when the call ends first. */
  waitForMessages(count: number, ms: number): Promise<boolean>;
  /** The final status, or undefined if the call is still open after `ms`. */
  waitForEnd(ms: number): Promise<grpc.StatusObject | undefined>;
}

export function collectStream<T>(stream: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<unknown, T>): CollectedStream<T> {
  const messages: T[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const waitUntil = <R>(ready: () => R | undefined, ms: number, fallback: () => R): Promise<R> =>
    new Promise((resolve) => {
      const check = () => {
        const value = ready();
        if (value !== undefined) finish(value);
      };
      const finish = (value: R) => {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => finish(fallback()), ms);
      waiters.add(check);
      check();
    });
  const collected: CollectedStream<T> = {
    messages,
    status: undefined,
    waitForMessages: (count, ms) =>
      waitUntil(
        () => (messages.length >= count ? true : collected.status ? false : undefined),
        ms,
        () => false,
      ),
    waitForEnd: (ms) =>
      waitUntil(
        () => collected.status,
        ms,
        () => undefined,
      ),
  };
  stream.on('data', (message: T) => {
    messages.push(message);
    wake();
  });
  stream.on('status', (status: grpc.StatusObject) => {
    collected.status = status;
    wake();
  });
  stream.on('error', () => {}); // the status says it all
  return collected;
}
