// The store on its own: copies in and out, one frozen event shared by all watchers.
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import type { TaskEvent } from '../lib/proto.ts';
import { TaskStore } from '../lib/store.ts';

describe('task store', () => {
  it('hands out copies: changing a returned task changes nothing stored', () => {
    const store = new TaskStore();
    const task = store.create({ title: 'original', description: '', tags: ['a'] });
    task.title = 'changed';
    task.tags.push('b');
    assert.deepEqual({ ...store.get(task.id)!, id: '' }, { ...task, id: '', title: 'original', tags: ['a'] });
  });

  it('a watcher cannot change what another sees; one that tries is unsubscribed', () => {
    const store = new TaskStore();
    const seen: TaskEvent[] = [];
    mock.method(console, 'error', () => {});
    try {
      store.subscribe((event) => {
        (event.task as { title: string }).title = 'vandalised'; // throws: the event is frozen
      });
      store.subscribe((event) => seen.push(event));
      store.create({ title: 'intact', description: '', tags: [] });
      store.create({ title: 'still intact', description: '', tags: [] });
    } finally {
      mock.restoreAll();
    }
    assert.deepEqual(
      seen.map((event) => event.task!.title),
      ['intact', 'still intact'],
    );
    assert.equal(store.subscriberCount, 1, 'the vandal was unsubscribed');
  });

  it('timestamps move forward even within one millisecond', () => {
    const store = new TaskStore();
    const task = store.create({ title: 't', description: '', tags: [] });
    const stamps = Array.from({ length: 50 }, () => store.update(task.id, { title: 't' })!.updated_at);
    for (let i = 1; i < stamps.length; i++) assert.ok(stamps[i]! > stamps[i - 1]!, `${stamps[i]} > ${stamps[i - 1]}`);
  });
});
