/** The shape check of a running mapper's progress report (POST /_lambdata/jobs/:id/progress). */
import { InvalidParameterValue } from '../shared/errors.js';
import type { TaskProgressReport } from './protocol.js';

const MAX_REPORTED_OBJECTS = 1000;

/** Checks a progress report's shape. @throws InvalidParameterValue naming the bad field. */
export function validateReport(body: unknown): TaskProgressReport {
  const r = body as Partial<TaskProgressReport> | null;
  if (!r || typeof r !== 'object') throw new InvalidParameterValue('a progress report object is required');
  if (typeof r.taskId !== 'string' || !r.taskId || r.taskId.length > 128)
    throw new InvalidParameterValue('taskId must be a task id');
  for (const name of ['attempt', 'bytes', 'words', 'lines', 'keys'] as const) {
    const value = r[name];
    if (!Number.isSafeInteger(value) || (value as number) < 0)
      throw new InvalidParameterValue(`${name} must be a non-negative integer`);
  }
  const objects = r.objects ?? [];
  if (!Array.isArray(objects) || objects.length > MAX_REPORTED_OBJECTS)
    throw new InvalidParameterValue(`objects must be a list of at most ${MAX_REPORTED_OBJECTS} objects`);
  for (const o of objects) {
    if (!o || typeof o.key !== 'string' || !o.key || o.key.length > 1024)
      throw new InvalidParameterValue('each object needs its key');
    for (const name of ['words', 'lines', 'bytes'] as const)
      if (!Number.isSafeInteger(o[name]) || o[name] < 0)
        throw new InvalidParameterValue(`objects[].${name} must be a non-negative integer`);
  }
  return {
    taskId: r.taskId,
    attempt: r.attempt as number,
    // Checked against the live secrets by the caller (anything but the right string is refused there).
    secret: typeof r.secret === 'string' ? r.secret : '',
    bytes: r.bytes as number,
    words: r.words as number,
    lines: r.lines as number,
    keys: r.keys as number,
    ...(objects.length > 0
      ? { objects: objects.map(({ key, words, lines, bytes }) => ({ key, words, lines, bytes })) }
      : {}),
  };
}
