/**
 * From a job's input to tasks: a key lister that pages through the object store, the choice of
 * record format per object, splits (byte ranges, whole gzip objects, bgzip members) and packing
 * of splits into tasks sized well above the cost of one invocation.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { InvalidParameterValue } from '../shared/errors.js';
import { BGZIP_INDEX_SUFFIX, parseBgzipIndex } from './bgzip.js';
import type { SplitSpec } from './protocol.js';
import { planRanges } from './splits.js';
import type { JobSpec, PlanParams } from './types.js';

type MaybePromise<T> = T | Promise<T>;

/** The part of the object store jobs use (the local ObjectStore, or an S3-backed one). */
export interface ObjectSource {
  listObjects(
    bucket: string,
    options: { prefix?: string; startAfter?: string; maxKeys?: number },
  ): MaybePromise<{ objects: Array<{ key: string; size: number }>; isTruncated: boolean; nextStartAfter?: string }>;
  headObject(bucket: string, key: string): MaybePromise<{ size: number }>;
  getObject(bucket: string, key: string, options?: { range?: string }): Promise<{ body: Readable }>;
  putObject(bucket: string, key: string, body: Buffer | string): Promise<unknown>;
  /** One page of every version and delete marker under a prefix, by key (S3's ListObjectVersions). */
  listObjectVersions(
    bucket: string,
    options: { prefix?: string; keyMarker?: string; versionIdMarker?: string; maxKeys?: number },
  ): MaybePromise<{
    versions: Array<{ key: string; versionId?: string }>;
    isTruncated: boolean;
    nextKeyMarker?: string;
    nextVersionIdMarker?: string;
  }>;
  /**
   * Deletes keys, or with a version id that version for good (at most 1,000); a missing one is no error
   * (a run's intermediates, once it finished).
   */
  deleteObjects(bucket: string, keys: Array<string | { key: string; versionId?: string }>): MaybePromise<unknown>;
}

/** A listed input object. */
export interface InputObject {
  key: string;
  size: number;
}

/** A unit of map work: one invocation of the mapper over some splits. */
export interface PlannedTask {
  taskId: string;
  splits: SplitSpec[];
  bytes: number;
}

/** The map plan of a job. */
export interface MapPlan {
  objects: InputObject[];
  bytes: number;
  splits: number;
  tasks: PlannedTask[];
  /** Splits per key, to know when an object is done. */
  splitsPerKey: Map<string, number>;
  /** The effective parameters and fingerprint of this plan (recorded with the job for resumes). */
  params: PlanParams;
}

/** How to plan: host parallelism (default: this host's), or the parameters a job was first planned with. */
export interface PlanOptions {
  parallelism?: number;
  recorded?: Pick<PlanParams, 'splitSize' | 'taskBytes'>;
}

export const DEFAULT_SPLIT_SIZE = 64 * 1024 * 1024;
const PAGE = 1000;
const MIN_TASK_BYTES = 1024 * 1024;
/**
 * Tasks are sized so about two run per core: every core stays busy while one task waits on reads,
 * and no more processes compete for the cores and caches than that (16 tasks of 64 MB on 2 cores
 * took 1.5× the CPU per GB of 4 tasks of 256 MB for wordcount, same run). A task may pack several
 * splits, up to MAX_TASK_BYTES, so a retry or a deadline remainder never has too much to redo.
 */
const TASKS_PER_CORE = 2;
const MAX_TASK_BYTES = 512 * 1024 * 1024;
/**
 * The most a task's split descriptions may take in its event (estimated by splitEventBytes) at the
 * default fan-out: many small objects share one task up to this, so 4,000 objects of 64 KB are one
 * task, not 16 tasks (each an environment to start, on cores already busy). A cascade carries up to
 * `fanout` task events inside the 6 MB invoke payload: 10 × (this + the inlined bodies in base64).
 */
const MAX_TASK_EVENT_BYTES = 320 * 1024;
/**
 * What the split descriptions of one cascade's task events may take together: a job with a smaller
 * fan-out gives each task a larger share. A 1 GB master dataset (5,137 gzip objects, ~250 bytes of
 * description each) fanned out 4 wide was packed into 4 tasks of 1,282 objects and a fifth of 42,
 * which ran alone after the others, its own cascade and its own wait.
 */
const CASCADE_EVENT_BYTES = 10 * MAX_TASK_EVENT_BYTES;
/** Mapper invocations a cascade fans out to when a job names no fan-out. */
export const DEFAULT_FANOUT = 10;
/** Text objects up to this size travel inside the task event, up to INLINE_BUDGET bytes per task. */
const INLINE_MAX = 16 * 1024;
const INLINE_BUDGET = 128 * 1024;

/**
 * Keys under this prefix, in any bucket, are job outputs (shuffle files, reduce outputs, summaries):
 * a job's input listing never includes them unless its input prefix itself begins with it (reading
 * a job's output on purpose, as a pipeline stage does).
 */
export const JOB_OUTPUT_PREFIX = '_jobs/';

/**
 * Streams the keys of the input (paginated), or heads the listed keys (unless their sizes are
 * given: then it heads none). Job outputs are left out:
 * keys under JOB_OUTPUT_PREFIX (unless the input prefix is inside it) and under `exclude` (the
 * job's own output location, when it lies in the input bucket).
 */
export async function* listInput(
  objects: ObjectSource,
  input: JobSpec['input'],
  exclude?: { bucket: string; prefix: string },
): AsyncGenerator<InputObject> {
  if (input.keys && input.sizes) {
    for (let i = 0; i < input.keys.length; i++) yield { key: input.keys[i] as string, size: input.sizes[i] as number };
    return;
  }
  if (input.keys) {
    for (const key of input.keys) yield { key, size: (await objects.headObject(input.bucket, key)).size };
    return;
  }
  const prefix = input.prefix ?? '';
  const skipped = prefix.startsWith(JOB_OUTPUT_PREFIX) ? [] : [JOB_OUTPUT_PREFIX];
  if (exclude && exclude.bucket === input.bucket && exclude.prefix && !prefix.startsWith(exclude.prefix))
    skipped.push(exclude.prefix);
  let startAfter: string | undefined;
  for (;;) {
    const page = await objects.listObjects(input.bucket, { prefix, startAfter, maxKeys: PAGE });
    for (const object of page.objects) {
      if (!skipped.some((p) => object.key.startsWith(p))) yield { key: object.key, size: object.size };
    }
    if (!page.isTruncated || page.objects.length === 0) return;
    startAfter = page.nextStartAfter ?? page.objects[page.objects.length - 1]?.key;
  }
}

/**
 * Lists the input and cuts it into splits and tasks.
 * @throws InvalidParameterValue for a bad split size or a bgzip object without a readable index.
 */
export async function planMap(
  objects: ObjectSource,
  spec: JobSpec,
  slots: number,
  options: PlanOptions = {},
): Promise<MapPlan> {
  splitSizeOf(spec, options);
  const listed: InputObject[] = [];
  for await (const object of listInput(objects, spec.input)) listed.push(object);
  return planListed(objects, listed, spec, slots, options);
}

/**
 * Cuts listed input objects (bgzip index objects among them) into splits and tasks; `objects`
 * is read only for bgzip indexes and small objects inlined into their tasks.
 * @throws InvalidParameterValue for a bad split size or a bgzip object without a readable index.
 */
export async function planListed(
  objects: ObjectSource,
  listed: InputObject[],
  spec: JobSpec,
  slots: number,
  options: PlanOptions = {},
): Promise<MapPlan> {
  const splitSize = splitSizeOf(spec, options);
  const indexed = new Set(
    listed.filter((o) => o.key.endsWith(BGZIP_INDEX_SUFFIX)).map((o) => o.key.slice(0, -BGZIP_INDEX_SUFFIX.length)),
  );
  const inputs = listed.filter((o) => !o.key.endsWith(BGZIP_INDEX_SUFFIX));
  const format = spec.format ?? 'auto';
  const splits: SplitSpec[] = [];
  const splitsPerKey = new Map<string, number>();
  let bytes = 0;
  for (const object of inputs) {
    bytes += object.size;
    const kind =
      format !== 'auto' ? format : indexed.has(object.key) ? 'bgzip' : object.key.endsWith('.gz') ? 'gzip' : 'text';
    const base = { bucket: spec.input.bucket, key: object.key, size: object.size };
    let made: SplitSpec[];
    if (kind === 'text') {
      made = planRanges(object.size, splitSize).map((r) => ({
        ...base,
        format: 'text' as const,
        start: r.start,
        end: r.end,
      }));
    } else if (kind === 'gzip') {
      made =
        object.size === 0 ? [] : [{ ...base, format: 'gzip', start: 0, end: null, offset: 0, length: object.size }];
    } else {
      const index = parseBgzipIndex(await readText(objects, spec.input.bucket, object.key + BGZIP_INDEX_SUFFIX));
      made = index.members.map((m) => ({
        ...base,
        format: 'member' as const,
        start: 0,
        end: null,
        offset: m.offset,
        length: m.length,
      }));
    }
    splitsPerKey.set(object.key, made.length);
    splits.push(...made);
  }
  const parallelism = options.parallelism ?? availableParallelism();
  const wanted = Math.max(1, Math.min(slots, TASKS_PER_CORE * parallelism));
  const taskBytes =
    options.recorded?.taskBytes ??
    spec.taskSize ??
    Math.min(MAX_TASK_BYTES, Math.max(MIN_TASK_BYTES, Math.ceil(bytes / wanted)));
  const fanout = Math.max(1, spec.fanout ?? DEFAULT_FANOUT);
  const tasks = packTasks(splits, taskBytes, Math.max(MAX_TASK_EVENT_BYTES, Math.floor(CASCADE_EVENT_BYTES / fanout)));
  const params = { splitSize, taskBytes, fingerprint: planFingerprint(tasks) };
  await inlineSmallObjects(objects, tasks);
  return { objects: inputs, bytes, splits: splits.length, tasks, splitsPerKey, params };
}

/**
 * A digest of which splits each task id covers: committed map results are matched to tasks by id,
 * so a resume may apply them only to a plan with the same fingerprint.
 */
export function planFingerprint(tasks: PlannedTask[]): string {
  // The text is hashed in one call: two calls per split took 17-30 ms for a recompute's 5,626 objects.
  const lines: string[] = [];
  for (const task of tasks) {
    lines.push(`${task.taskId}\n`);
    for (const s of task.splits)
      lines.push(
        `${JSON.stringify([s.bucket, s.key, s.size, s.format, s.start, s.end, s.offset ?? null, s.length ?? null])}\n`,
      );
  }
  return createHash('sha256').update(lines.join('')).digest('hex');
}

/**
 * Packs the bodies of small whole text objects into their task events (a few at a time), so a
 * task over many tiny objects costs no read round trips; bounded per task to keep events small.
 */
async function inlineSmallObjects(objects: ObjectSource, tasks: PlannedTask[]): Promise<void> {
  const jobs: Array<() => Promise<void>> = [];
  for (const task of tasks) {
    let budget = INLINE_BUDGET;
    for (const split of task.splits) {
      if (
        split.format !== 'text' ||
        split.start !== 0 ||
        split.end !== split.size ||
        split.size > INLINE_MAX ||
        split.size > budget
      )
        continue;
      budget -= split.size;
      jobs.push(async () => {
        try {
          split.inline = (await readBody(objects, split.bucket, split.key)).toString('base64');
        } catch (err) {
          // Sizes given with the keys were not checked by a HEAD: say which object is missing.
          if (err instanceof Error) err.message = `s3://${split.bucket}/${split.key}: ${err.message}`;
          throw err;
        }
      });
    }
  }
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await (jobs[next++] as () => Promise<void>)();
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/**
 * Packs splits in order into tasks of about `taskBytes` (a split is never cut further here): the
 * input is cut at multiples of `taskBytes`, and a split belongs to the task whose range holds its
 * middle byte. So objects a few bytes over an even share (text cut at line ends) do not leave a task
 * one split short and a last task of one split (16 × 64 MB packed 4, 3, 4, 4, 1 under a strict
 * limit), and thousands of small objects make as many tasks as the input has ranges, not one more
 * from the shortfalls of the others. A task's split descriptions stay within `maxEventBytes` (a task
 * cut for that leaves the rest of its range to the next).
 */
export function packTasks(
  splits: SplitSpec[],
  taskBytes: number,
  maxEventBytes: number = MAX_TASK_EVENT_BYTES,
): PlannedTask[] {
  const tasks: PlannedTask[] = [];
  let current: PlannedTask | undefined;
  let eventBytes = 0;
  let offset = 0;
  let rangeEnd = 0;
  for (const split of splits) {
    const size = splitBytes(split);
    const described = splitEventBytes(split);
    const middle = offset + size / 2;
    if (!current || (current.splits.length > 0 && (middle > rangeEnd || eventBytes + described > maxEventBytes))) {
      current = { taskId: `m${tasks.length}`, splits: [], bytes: 0 };
      tasks.push(current);
      eventBytes = 0;
      if (middle >= rangeEnd) rangeEnd = (Math.floor(middle / taskBytes) + 1) * taskBytes;
    }
    current.splits.push(split);
    current.bytes += size;
    eventBytes += described;
    offset += size;
  }
  return tasks;
}

/** About how many bytes a split's description takes in a task event (JSON; escapes aside). */
function splitEventBytes(split: SplitSpec): number {
  return 128 + split.bucket.length + split.key.length;
}

/** Input bytes a split covers (compressed bytes for gzip and members). */
export function splitBytes(split: SplitSpec): number {
  if (split.format === 'text') return (split.end ?? split.size) - split.start;
  return split.length ?? split.size;
}

function splitSizeOf(spec: JobSpec, options: PlanOptions): number {
  const splitSize = options.recorded?.splitSize ?? spec.splitSize ?? DEFAULT_SPLIT_SIZE;
  if (!Number.isInteger(splitSize) || splitSize < 1)
    throw new InvalidParameterValue(`splitSize must be a positive integer, got ${splitSize}`);
  return splitSize;
}

async function readBody(objects: ObjectSource, bucket: string, key: string): Promise<Buffer> {
  const { body } = await objects.getObject(bucket, key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readText(objects: ObjectSource, bucket: string, key: string): Promise<string> {
  try {
    return (await readBody(objects, bucket, key)).toString('utf8');
  } catch (err) {
    throw new InvalidParameterValue(`cannot read the bgzip index ${key}: ${(err as Error).message}`, { cause: err });
  }
}
