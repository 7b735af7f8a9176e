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
 * Deletes a finished run's intermediates; returns how many objects went. Keys that do not match
 * what the run's functions write are left alone (an output prefix the user chose may hold other things).
 * @throws what listing or deleting throws (a sweep that fails is retried at the next start).
 */
export async function sweepIntermediates(objects: ObjectSource, output: RunOutput): Promise<number> {
  const kinds = output.shuffle ? [...SHUFFLE_KEYS, RESULT_KEYS] : [RESULT_KEYS];
  let deleted = 0;
  for (const { folder, pattern } of kinds) {
    const keys: string[] = [];
    for await (const key of listKeys(objects, output.bucket, `${output.prefix}${folder}`)) {
      if (pattern.test(key.slice(output.prefix.length))) keys.push(key);
    }
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      await objects.deleteObjects(output.bucket, batch);
      deleted += batch.length;
    }
  }
  return deleted;
}

async function* listKeys(objects: ObjectSource, bucket: string, prefix: string): AsyncGenerator<string> {
  let startAfter: string | undefined;
  for (;;) {
    const page = await objects.listObjects(bucket, { prefix, startAfter, maxKeys: PAGE });
    for (const object of page.objects) yield object.key;
    if (!page.isTruncated || page.objects.length === 0) return;
    startAfter = page.nextStartAfter ?? page.objects.at(-1)?.key;
  }
}
