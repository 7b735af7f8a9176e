/**
 * Short-circuit local reads for map attempts (docs/MAPPERS.md, "Local reads"): where the mapper runs in
 * an environment of this engine, sandboxed, the attempt may read its own input objects as read-only
 * files instead of over S3, as HDFS short-circuit reads do. It asks once per attempt with its secret;
 * the grant covers exactly the objects of its splits (never another's, never the store) and ends
 * with its invocation.
 */
import { InvalidParameterValue } from '../shared/errors.js';
import type { ObjectStore } from '../storage/objects/index.js';
import type { AttemptSecrets } from './attempt-secrets.js';
import type { ReadGrantAnswer, ReadGrantRequest } from './protocol.js';

/**
 * Links `files` (host paths) into the environment running invocation `requestId` of `functionName`;
 * each answered as its path inside the environment, or null; undefined when no such invocation runs
 * in a sandbox here (the runtime's EnvironmentPool.grantReads).
 */
export type GrantFiles = (requestId: string, functionName: string, files: string[]) => Array<string | null> | undefined;

const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

/** The most objects one grant request may name. */
const MAX_REQUEST_OBJECTS = 10_000;

/**
 * Grants the attempt named in `request` its objects (those of them the request names, when it names
 * some), when `request.secret` is the attempt's live secret; objects that cannot be granted (gone,
 * overwritten, another file system, not the attempt's) are left out.
 * @throws InvalidParameterValue for a malformed request (a wrong secret is answered `granted: false`).
 */
export function grantAttemptReads(
  secrets: AttemptSecrets,
  store: ObjectStore,
  grantFiles: GrantFiles,
  jobId: string,
  body: unknown,
): ReadGrantAnswer & { granted: boolean } {
  const request = validateGrantRequest(body);
  const reads = secrets.readsOf(jobId, request.taskId, request.attempt, request.secret);
  if (!reads) return { files: [], granted: false };
  const objects = request.objects ? ownObjects(reads.objects, request.objects) : reads.objects;
  const paths = bodyPathsOrEmpty(store, objects);
  const inside = grantFiles(request.requestId, reads.functionName, paths) ?? [];
  const files: ReadGrantAnswer['files'] = [];
  inside.forEach((path, i) => {
    const object = objects[i];
    if (path && object) files.push({ bucket: object.bucket, key: object.key, path });
  });
  return { files, granted: true };
}

/** Those of `asked` that are among the attempt's `own` objects, each once, in the order asked. */
function ownObjects(
  own: ReadonlyArray<{ bucket: string; key: string }>,
  asked: ReadonlyArray<{ bucket: string; key: string }>,
): Array<{ bucket: string; key: string }> {
  const ids = new Set(own.map((o) => `${o.bucket}/${o.key}`));
  const out: Array<{ bucket: string; key: string }> = [];
  for (const { bucket, key } of asked) {
    const id = `${bucket}/${key}`;
    if (!ids.delete(id)) continue;
    out.push({ bucket, key });
  }
  return out;
}

function validateGrantRequest(body: unknown): ReadGrantRequest {
  const r = (body ?? {}) as Partial<Record<keyof ReadGrantRequest, unknown>>;
  if (typeof r.taskId !== 'string' || !r.taskId || r.taskId.length > 64)
    throw new InvalidParameterValue('taskId must be a task id');
  if (!Number.isSafeInteger(r.attempt) || (r.attempt as number) < 1)
    throw new InvalidParameterValue('attempt must be a positive integer');
  if (typeof r.requestId !== 'string' || !REQUEST_ID.test(r.requestId))
    throw new InvalidParameterValue('requestId must be the mapper invocation’s request id');
  if (
    r.objects !== undefined &&
    (!Array.isArray(r.objects) ||
      r.objects.length > MAX_REQUEST_OBJECTS ||
      !r.objects.every((o) => typeof o?.bucket === 'string' && typeof o?.key === 'string'))
  )
    throw new InvalidParameterValue(`objects must be at most ${MAX_REQUEST_OBJECTS} { bucket, key } pairs`);
  return {
    taskId: r.taskId,
    attempt: r.attempt as number,
    requestId: r.requestId,
    // Checked against the live secrets (anything but the right string is refused there).
    secret: typeof r.secret === 'string' ? r.secret : '',
    ...(r.objects ? { objects: r.objects as ReadGrantRequest['objects'] } : {}),
  };
}

/**
 * The objects' current body files, or '' (which no link can be made from) for one that is gone; one
 * lookup per bucket, as an attempt's objects mostly share one.
 */
function bodyPathsOrEmpty(store: ObjectStore, objects: ReadonlyArray<{ bucket: string; key: string }>): string[] {
  const paths: string[] = new Array(objects.length).fill('');
  const byBucket = new Map<string, number[]>();
  objects.forEach(({ bucket }, i) => {
    const list = byBucket.get(bucket);
    if (list) list.push(i);
    else byBucket.set(bucket, [i]);
  });
  for (const [bucket, indexes] of byBucket) {
    let found: Array<string | undefined>;
    try {
      found = store.bodyPaths(
        bucket,
        indexes.map((i) => (objects[i] as { key: string }).key),
      );
    } catch (err) {
      if ((err as { code?: string }).code === 'NoSuchBucket') continue;
      throw err;
    }
    indexes.forEach((at, j) => {
      paths[at] = found[j] ?? '';
    });
  }
  return paths;
}
