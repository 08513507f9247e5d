// The rules a task must follow, in one place: the TaskManager servers (yours and
// the reference) and the REST twin (bench/) all apply them. Each check returns
// undefined when the request is fine, or one sentence that names the field,
// ready to be the details of an INVALID_ARGUMENT answer ("title: must not be blank").
import type { TaskStatus } from './proto.ts';

/** Limits that keep one request from filling the server's memory or a terminal. */
export const LIMITS = {
  titleMaxChars: 200,
  descriptionMaxChars: 2000,
  maxTags: 10,
  tagMaxChars: 32,
  /** Tasks in one ImportTasks call (Phase 6): the server reads no further. */
  importMaxTasks: 1000,
} as const;

export const KNOWN_STATUSES: readonly TaskStatus[] = ['TASK_STATUS_TODO', 'TASK_STATUS_IN_PROGRESS', 'TASK_STATUS_DONE'];

/** What is wrong with a request, naming the field: "title: must not be blank". */
export type RuleViolation = string;

// Control characters (newlines, escapes, NUL) would break one-line displays and logs.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_EXCEPT_TEXT_LAYOUT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

const violation = (field: string, problem: string): RuleViolation => `${field}: ${problem}`;

/** Length in characters as a reader counts them (code points), not UTF-16 units. */
const charCount = (text: string) => [...text].length;

export function checkTitle(title: string): RuleViolation | undefined {
  if (title.trim() === '') return violation('title', 'must not be blank');
  if (charCount(title) > LIMITS.titleMaxChars) {
    return violation('title', `must be at most ${LIMITS.titleMaxChars} characters (got ${charCount(title)})`);
  }
  if (CONTROL_CHARACTERS.test(title)) return violation('title', 'must not contain control characters (such as newlines)');
  return undefined;
}

export function checkDescription(description: string): RuleViolation | undefined {
  if (charCount(description) > LIMITS.descriptionMaxChars) {
    return violation('description', `must be at most ${LIMITS.descriptionMaxChars} characters (got ${charCount(description)})`);
  }
  if (CONTROL_EXCEPT_TEXT_LAYOUT.test(description)) {
    return violation('description', 'must not contain control characters other than newlines and tabs');
  }
  return undefined;
}

export function checkTags(tags: readonly string[]): RuleViolation | undefined {
  if (tags.length > LIMITS.maxTags) return violation('tags', `must have at most ${LIMITS.maxTags} tags (got ${tags.length})`);
  const seen = new Set<string>();
  for (const [index, tag] of tags.entries()) {
    const field = `tags[${index}]`;
    if (tag.trim() === '') return violation(field, 'must not be blank');
    if (charCount(tag) > LIMITS.tagMaxChars) return violation(field, `must be at most ${LIMITS.tagMaxChars} characters`);
    if (/\s/.test(tag) || CONTROL_CHARACTERS.test(tag)) return violation(field, 'must not contain spaces or control characters');
    if (seen.has(tag)) return violation(field, `repeats "${tag}"`);
    seen.add(tag);
  }
  return undefined;
}

/** An enum number this server does not know arrives as a plain number, not a name. */
export function checkStatus(status: TaskStatus | number, { allowUnspecified }: { allowUnspecified: boolean }): RuleViolation | undefined {
  if (allowUnspecified && status === 'TASK_STATUS_UNSPECIFIED') return undefined;
  if (KNOWN_STATUSES.includes(status as TaskStatus)) return undefined;
  return violation('status', `${status} is not a known TaskStatus`);
}

export function checkNewTask(task: { title: string; description: string; tags: readonly string[] }): RuleViolation | undefined {
  return checkTitle(task.title) ?? checkDescription(task.description) ?? checkTags(task.tags);
}

/** A ListTasks filter by tag: a blank tag would match nothing, so it is refused. */
export function checkTagFilter(tag: string): RuleViolation | undefined {
  return tag.trim() === '' ? violation('tag', 'must not be blank') : undefined;
}

/** For an update: only the fields that were sent are checked. */
export function checkChanges(changes: { title?: string; description?: string; status: TaskStatus | number }): RuleViolation | undefined {
  return (
    (changes.title === undefined ? undefined : checkTitle(changes.title)) ??
    (changes.description === undefined ? undefined : checkDescription(changes.description)) ??
    checkStatus(changes.status, { allowUnspecified: true })
  );
}

/** An id is what the store issued: never blank, never longer than a UUID-ish token. */
export function checkId(id: string): RuleViolation | undefined {
  if (id.trim() === '') return violation('id', 'must not be blank');
  if (id.length > 64 || CONTROL_CHARACTERS.test(id)) return violation('id', 'is not a task id');
  return undefined;
}
