// The rules a task must follow, in one place: the reference gRPC server and the
// REST twin (bench/) both apply them, and each rule names its field, so an error
// can say exactly what is wrong ("title: must not be blank").
import type { TaskStatus } from './proto.ts';

/** Limits that keep one request from filling the server's memory or a terminal. */
export const LIMITS = {
  titleMaxChars: 200,
  descriptionMaxChars: 2000,
  maxTags: 10,
  tagMaxChars: 32,
} as const;

export const KNOWN_STATUSES: readonly TaskStatus[] = ['TASK_STATUS_TODO', 'TASK_STATUS_IN_PROGRESS', 'TASK_STATUS_DONE'];

export interface RuleViolation {
  field: string;
  problem: string;
}

/** The details text of an INVALID_ARGUMENT (or HTTP 400) answer. */
export function describeViolation({ field, problem }: RuleViolation): string {
  return `${field}: ${problem}`;
}

// Control characters (newlines, escapes, NUL) would break one-line displays and logs.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_EXCEPT_TEXT_LAYOUT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** Length in characters as a reader counts them (code points), not UTF-16 units. */
const charCount = (text: string) => [...text].length;

export function checkTitle(title: string): RuleViolation | undefined {
  if (title.trim() === '') return { field: 'title', problem: 'must not be blank' };
  if (charCount(title) > LIMITS.titleMaxChars) {
    return { field: 'title', problem: `must be at most ${LIMITS.titleMaxChars} characters (got ${charCount(title)})` };
  }
  if (CONTROL_CHARACTERS.test(title)) return { field: 'title', problem: 'must not contain control characters (such as newlines)' };
  return undefined;
}

export function checkDescription(description: string): RuleViolation | undefined {
  if (charCount(description) > LIMITS.descriptionMaxChars) {
    return { field: 'description', problem: `must be at most ${LIMITS.descriptionMaxChars} characters (got ${charCount(description)})` };
  }
  if (CONTROL_EXCEPT_TEXT_LAYOUT.test(description)) {
    return { field: 'description', problem: 'must not contain control characters other than newlines and tabs' };
  }
  return undefined;
}

export function checkTags(tags: readonly string[]): RuleViolation | undefined {
  if (tags.length > LIMITS.maxTags) return { field: 'tags', problem: `must have at most ${LIMITS.maxTags} tags (got ${tags.length})` };
  const seen = new Set<string>();
  for (const [index, tag] of tags.entries()) {
    const field = `tags[${index}]`;
    if (tag.trim() === '') return { field, problem: 'must not be blank' };
    if (charCount(tag) > LIMITS.tagMaxChars) return { field, problem: `must be at most ${LIMITS.tagMaxChars} characters` };
    if (/\s/.test(tag) || CONTROL_CHARACTERS.test(tag)) return { field, problem: 'must not contain spaces or control characters' };
    if (seen.has(tag)) return { field, problem: `repeats "${tag}"` };
    seen.add(tag);
  }
  return undefined;
}

/** An enum number this server does not know arrives as a plain number, not a name. */
export function checkStatus(status: TaskStatus | number, { allowUnspecified }: { allowUnspecified: boolean }): RuleViolation | undefined {
  if (allowUnspecified && status === 'TASK_STATUS_UNSPECIFIED') return undefined;
  if (KNOWN_STATUSES.includes(status as TaskStatus)) return undefined;
  return { field: 'status', problem: `${status} is not a known TaskStatus` };
}

export function checkNewTask(task: { title: string; description: string; tags: readonly string[] }): RuleViolation | undefined {
  return checkTitle(task.title) ?? checkDescription(task.description) ?? checkTags(task.tags);
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
  if (id.trim() === '') return { field: 'id', problem: 'must not be blank' };
  if (id.length > 64 || CONTROL_CHARACTERS.test(id)) return { field: 'id', problem: 'is not a task id' };
  return undefined;
}
