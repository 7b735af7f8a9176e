/**
 * A job run's intermediates: what its tasks write under its output prefix only for the run itself
 * (mappers' shuffle partitions, reducers' spilled runs, task results over the response limit), as
 * opposed to its outputs (reduce outputs `out/`, `summary.json`, a pipeline stage's `out/`, a
 * view's per-task states), which stay. Swept once the run has finished, as Spark and Hadoop delete
 * shuffle files when a job is done.
 */
import type { ObjectSource } from './planner.js';
import { RESULTS_FOLDER } from './result-refs.js';

/** Where a run wrote, and whether it shuffled (only then are map partitions its intermediates). */
export interface RunOutput {
  bucket: string;
  prefix: string;
  shuffle: boolean;
}

const PAGE = 1000;
/** Keys per delete request (S3's DeleteObjects takes at most 1,000). */
const DELETE_BATCH = 1000;

/**
 * Intermediate keys, relative to the output prefix, by folder: a mapper's partition
 * (`map/m3.1-a2/part-00001`, functions/wordfreq), a reducer's spilled run
 * (`spill/r0/<uuid>/run-4`, functions/lib/external-reduce.ts), a stored task result
 * (`results/m3-a1.json`, result-refs.ts). A view's per-task state (`map/m3-a1`, no partition) is
 * an output its recompute reads after the job ends, and never matches.
 */
const SHUFFLE_KEYS = [
  { folder: 'map/', pattern: /^map\/[^/]+-a\d+\/part-\d+$/ },
  { folder: 'spill/', pattern: /^spill\/r\d+\/[^/]+\/(?:run|pass)-\d+$/ },
];
const RESULT_KEYS = { folder: RESULTS_FOLDER, pattern: /^results\/[^/]+-a\d+\.json$/ };

/**
 * Deletes a finished run's intermediates for good; returns how many object versions went. Keys that do
 * not match what the run's functions write are left alone (an output prefix the user chose may hold
 * other things).
 * @throws what listing or deleting throws (a sweep that fails is retried at the next start).
 */
export async function sweepIntermediates(objects: ObjectSource, output: RunOutput): Promise<number> {
  const kinds = output.shuffle ? [...SHUFFLE_KEYS, RESULT_KEYS] : [RESULT_KEYS];
  let deleted = 0;
  for (const { folder, pattern } of kinds) {
    deleted += await purgeUnder(objects, output.bucket, `${output.prefix}${folder}`, (key) =>
      pattern.test(key.slice(output.prefix.length)),
    );
  }
  return deleted;
}

/**
 * Deletes the keys under `prefix` that `matches` accepts, every version of each and its delete markers,
 * so that what the engine wrote for itself leaves nothing behind on a bucket with versioning (where a
 * plain delete only hides the object behind a marker); returns how many versions went.
 * @throws what listing or deleting throws, and the first key the store reports it could not delete.
 */
export async function purgeUnder(
  objects: ObjectSource,
  bucket: string,
  prefix: string,
  matches: (key: string) => boolean = () => true,
): Promise<number> {
  const versions: Array<{ key: string; versionId?: string }> = [];
  for await (const version of listVersions(objects, bucket, prefix)) if (matches(version.key)) versions.push(version);
  for (let i = 0; i < versions.length; i += DELETE_BATCH) {
    throwFirstFailure(await objects.deleteObjects(bucket, versions.slice(i, i + DELETE_BATCH)));
  }
  return versions.length;
}

/** The local store answers a multi-delete with a result per key, errors included, instead of throwing. */
function throwFirstFailure(results: unknown): void {
  if (!Array.isArray(results)) return;
  const failed = results.find((result) => result?.error !== undefined) as
    | { key: string; error: { code: string; message: string } }
    | undefined;
  if (failed) {
    throw Object.assign(new Error(`cannot delete ${failed.key}: ${failed.error.message}`), { code: failed.error.code });
  }
}

async function* listVersions(
  objects: ObjectSource,
  bucket: string,
  prefix: string,
): AsyncGenerator<{ key: string; versionId?: string }> {
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const page = await objects.listObjectVersions(bucket, { prefix, keyMarker, versionIdMarker, maxKeys: PAGE });
    for (const { key, versionId } of page.versions) yield versionId === undefined ? { key } : { key, versionId };
    if (!page.isTruncated || page.versions.length === 0 || page.nextKeyMarker === undefined) return;
    keyMarker = page.nextKeyMarker;
    versionIdMarker = page.nextVersionIdMarker;
  }
}
