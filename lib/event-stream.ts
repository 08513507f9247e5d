// Writing events to a server stream without buffering without bound: a watcher
// that stops reading must not make the server hold every later event for it.
import * as grpc from '@grpc/grpc-js';

/** How many events may wait for one slow watcher before it is cut off. */
export const MAX_QUEUED_EVENTS = 1000;

export interface EventStream<T> {
  /** Queues and sends `message`; false once the stream is closed (cut off, or ended). */
  write(message: T): boolean;
  /** Sends what is queued, then ends the stream with OK. */
  end(): void;
}

/**
 * Wraps a server stream (or the server's side of a bidirectional one): write()
 * honours backpressure (it waits for 'drain' once grpc-js's own buffer is
 * full) with a bounded queue in front; when the queue overflows, the stream
 * ends with RESOURCE_EXHAUSTED.
 */
export function boundedEventStream<T>(
  call: grpc.ServerWritableStream<unknown, T> | grpc.ServerDuplexStream<unknown, T>,
  maxQueued = MAX_QUEUED_EVENTS,
): EventStream<T> {
  const queue: T[] = [];
  let waitingForDrain = false;
  let closed = false;

  const flush = () => {
    while (!waitingForDrain && queue.length > 0) {
      // false means grpc-js buffered it but wants no more until 'drain'.
      waitingForDrain = !call.write(queue.shift()!);
    }
  };
  call.on('drain', () => {
    waitingForDrain = false;
    flush();
  });

  return {
    write(message) {
      if (closed) return false;
      if (queue.length >= maxQueued) {
        closed = true;
        queue.length = 0;
        call.emit('error', {
          code: grpc.status.RESOURCE_EXHAUSTED,
          details: `this watcher fell ${maxQueued} events behind (it stopped reading), so the server ended its stream; watch again to catch up`,
        });
        return false;
      }
      queue.push(message);
      flush();
      return true;
    },
    end() {
      if (closed) return;
      closed = true;
      for (const message of queue.splice(0)) call.write(message);
      call.end();
    },
  };
}
