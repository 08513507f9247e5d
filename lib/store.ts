// The in-memory task store with event fan-out: given to learners fully working,
// so their handlers only translate between gRPC and these methods.
import { randomUUID } from 'node:crypto';
import type { Task, TaskEvent, TaskEventType, TaskStatus } from './proto.ts';

export interface NewTask {
  title: string;
  description: string;
  tags: readonly string[];
}

/** Fields to change; an absent (undefined) field is left as it is. */
export interface TaskChanges {
  title?: string;
  description?: string;
  status?: TaskStatus;
}

export type TaskFilter = { status: TaskStatus } | { tag: string } | Record<string, never>;

export type TaskEventListener = (event: TaskEvent) => void;

interface Subscription {
  onEvent: TaskEventListener;
  onStoreClosed: (() => void) | undefined;
}

export class TaskStore {
  readonly #tasks = new Map<string, Task>();
  readonly #subscriptions = new Set<Subscription>();
  #lastTimestampMs = 0;

  /** Called whenever subscriberCount changes (the checker uses it to spot watcher leaks). */
  onSubscriberCountChange: ((count: number) => void) | undefined;

  /** Stores a new task with a fresh id and status TODO, announces CREATED, returns a copy. */
  create(fields: NewTask): Task {
    const now = this.#timestamp();
    const task: Task = {
      id: randomUUID(),
      title: fields.title,
      description: fields.description,
      status: 'TASK_STATUS_TODO',
      created_at: now,
      updated_at: now,
      tags: [...fields.tags],
    };
    this.#tasks.set(task.id, task);
    this.#publish('TASK_EVENT_TYPE_CREATED', task);
    return copy(task);
  }

  get(id: string): Task | undefined {
    const task = this.#tasks.get(id);
    return task && copy(task);
  }

  /** Applies the given changes, moves updated_at forward, announces UPDATED; undefined if no such task. */
  update(id: string, changes: TaskChanges): Task | undefined {
    const task = this.#tasks.get(id);
    if (!task) return undefined;
    if (changes.title !== undefined) task.title = changes.title;
    if (changes.description !== undefined) task.description = changes.description;
    if (changes.status !== undefined) task.status = changes.status;
    task.updated_at = this.#timestamp();
    this.#publish('TASK_EVENT_TYPE_UPDATED', task);
    return copy(task);
  }

  /** Removes the task, announces DELETED, returns it as it was; undefined if no such task. */
  delete(id: string): Task | undefined {
    const task = this.#tasks.get(id);
    if (!task) return undefined;
    this.#tasks.delete(id);
    this.#publish('TASK_EVENT_TYPE_DELETED', task);
    return copy(task);
  }

  /** Tasks in creation order, optionally only those with a status or a tag. */
  list(filter: TaskFilter = {}): Task[] {
    const tasks = [...this.#tasks.values()];
    const matching =
      'status' in filter
        ? tasks.filter((task) => task.status === filter.status)
        : 'tag' in filter
          ? tasks.filter((task) => task.tags.includes(filter.tag))
          : tasks;
    return matching.map(copy);
  }

  get size(): number {
    return this.#tasks.size;
  }

  /**
   * Calls `onEvent` for every change from now on, until the returned function is
   * called (calling it again does nothing). `onStoreClosed` runs if the store
   * closes first, at server shutdown: a watch stream should end there.
   */
  subscribe(onEvent: TaskEventListener, onStoreClosed?: () => void): () => void {
    const subscription: Subscription = { onEvent, onStoreClosed };
    this.#subscriptions.add(subscription);
    this.onSubscriberCountChange?.(this.#subscriptions.size);
    return () => {
      if (this.#subscriptions.delete(subscription)) this.onSubscriberCountChange?.(this.#subscriptions.size);
    };
  }

  /** How many subscriptions are open: a watcher that left must not be counted. */
  get subscriberCount(): number {
    return this.#subscriptions.size;
  }

  /** Ends every subscription (server shutdown), telling each through onStoreClosed. */
  close(): void {
    const subscriptions = [...this.#subscriptions];
    this.#subscriptions.clear();
    if (subscriptions.length > 0) this.onSubscriberCountChange?.(0);
    for (const { onStoreClosed } of subscriptions) onStoreClosed?.();
  }

  #publish(eventType: TaskEventType, task: Task): void {
    if (this.#subscriptions.size === 0) return;
    // One frozen copy for every watcher: none can change what another sees, and
    // a thousand watchers cost one copy, not a thousand.
    const event: TaskEvent = Object.freeze({ event_type: eventType, task: frozenCopy(task) });
    for (const subscription of [...this.#subscriptions]) {
      try {
        subscription.onEvent(event);
      } catch (error) {
        // A broken watcher must not stop the others from hearing the event.
        if (this.#subscriptions.delete(subscription)) this.onSubscriberCountChange?.(this.#subscriptions.size);
        console.error('a task watcher threw and was unsubscribed:', error);
      }
    }
  }

  /** ISO-8601 UTC, strictly increasing, so updated_at moves even within one millisecond. */
  #timestamp(): string {
    this.#lastTimestampMs = Math.max(Date.now(), this.#lastTimestampMs + 1);
    return new Date(this.#lastTimestampMs).toISOString();
  }
}

function copy(task: Task): Task {
  return { ...task, tags: [...task.tags] };
}

function frozenCopy(task: Task): Task {
  return Object.freeze({ ...task, tags: Object.freeze([...task.tags]) as string[] });
}
