/**
 * Bounded-memory reduce of one partition: input lines are folded per key into a map until its
 * estimated size reaches the memory budget, then the map is written to the store as a sorted run
 * and cleared; at the end the runs are merged as streams (k-way, in key order) and the reduced
 * records stream out as the partition's output object. Memory stays near the budget however
 * large the partition is. Runs live under the event's spill prefix and are deleted afterwards.
 * Every upload is sized (real S3 answers 411 MissingContentLength to a PUT of unknown length): an
 * object up to SPOOL_BYTES is gathered in memory, a larger one is spooled to a file in the
 * function's /tmp first.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReduceEvent } from './protocol.js';
import { deleteObject, getObjectChunks, putObject } from './s3-client.js';

/** How a reducer folds the values of one key; `S` is the per-key state kept in memory and in runs. */
export interface ReduceFold<V, S> {
  /** One input line as [key, value], or null to skip it. */
  parse(line: string): [string, V] | null;
  /** Adds a value to a key's state (`state` is undefined for the key's first value). */
  add(state: S | undefined, value: V): S;
  /** Combines two states of one key (from two runs). */
  merge(a: S, b: S): S;
  /** The output line of a key (with its newline). */
  format(key: string, state: S): string;
  /** True when a key's state stays the same size as values are added (a count); false: it grows (a list). */
  fixedSize: boolean;
}

/** What a bounded reduce did, beside what `onRecord` saw. */
export interface ReduceStats {
  distinct: number;
  /** Sorted runs written to the store (0 when the partition fit in the budget). */
  spilledRuns: number;
  spilledBytes: number;
  budgetBytes: number;
}

/** Fraction of the memory left beside the process's own that the reduce state may use. */
const BUDGET_SHARE = 0.15;
const MIN_BUDGET = 4 * 1024 * 1024;
const DEFAULT_MEMORY_MB = 1024;
/** Rough bytes of one map entry beyond its key and value text (V8 map slot, string and object headers). */
const ENTRY_OVERHEAD = 96;
/** Runs merged at once; more are merged in passes, through intermediate runs. */
const FAN_IN = 32;
const WRITE_CHUNK = 256 * 1024;
/**
 * Objects up to this size are uploaded from memory; past it, from a spool file. A partition of a
 * few tens of thousands of words (~0.5 MB) spent more in the spool's file write, read back and
 * unlink than in its reduce.
 */
const SPOOL_BYTES = 4 * 1024 * 1024;
/** Inputs whose GETs are opened ahead of the one being read (each pauses at its socket's buffers). */
const READ_AHEAD = 3;

/**
 * The state budget: the event's, else a share of what the function's memory size leaves beside what
 * the process already holds (runtime, code, buffers): V8 holds garbage and its young generation on
 * top of the live state, so the share stays well under the rest.
 */
export function budgetBytes(
  event: Pick<ReduceEvent, 'memoryBudget'>,
  env: NodeJS.ProcessEnv = process.env,
  residentBytes: number = process.memoryUsage.rss(),
): number {
  if (event.memoryBudget && event.memoryBudget > 0) return event.memoryBudget;
  const memory = (Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE) || DEFAULT_MEMORY_MB) * 1024 * 1024;
  return Math.max(MIN_BUDGET, Math.floor((memory - residentBytes) * BUDGET_SHARE));
}

/**
 * Reduces the event's inputs into its output object with `fold`, calling `onRecord` for each
 * output record in key order. @throws S3Error when an input, run or output cannot be read or written.
 */
export async function reducePartition<V, S>(
  event: ReduceEvent,
  fold: ReduceFold<V, S>,
  onRecord: (key: string, state: S) => void,
): Promise<ReduceStats> {
  const budget = budgetBytes(event);
  const spillPrefix = `${event.spillPrefix ?? `${event.outputKey}.spill/`}${randomUUID()}/`;
  const runs: string[] = [];
  const stats: ReduceStats = { distinct: 0, spilledRuns: 0, spilledBytes: 0, budgetBytes: budget };
  let state = new Map<string, S>();
  let used = 0;
  const spill = async () => {
    const key = `${spillPrefix}run-${runs.length}`;
    const sorted = [...state.keys()].sort();
    stats.spilledBytes += await writeLines(
      event.bucket,
      key,
      (function* () {
        for (const k of sorted) yield `${JSON.stringify([k, state.get(k)])}\n`;
      })(),
    );
    runs.push(key);
    stats.spilledRuns++;
    state = new Map();
    used = 0;
  };
  try {
    for await (const lines of readAhead(event.bucket, event.inputs)) {
      for await (const line of lines) {
        const parsed = fold.parse(line);
        if (!parsed) continue;
        const [key, value] = parsed;
        const before = state.get(key);
        state.set(key, fold.add(before, value));
        if (before === undefined) used += key.length * 2 + line.length + ENTRY_OVERHEAD;
        else if (!fold.fixedSize) used += line.length;
        if (used >= budget) await spill();
      }
    }
    let records: AsyncIterable<[string, S]> | Iterable<[string, S]>;
    if (runs.length === 0) {
      const sorted = [...state.keys()].sort();
      records = sorted.map((k) => [k, state.get(k) as S] as [string, S]);
    } else {
      if (state.size > 0) await spill();
      records = await mergeAll(event.bucket, runs, spillPrefix, fold, stats);
    }
    await writeLines(
      event.bucket,
      event.outputKey,
      (async function* () {
        for await (const [key, s] of records) {
          stats.distinct++;
          onRecord(key, s);
          yield fold.format(key, s);
        }
      })(),
    );
    return stats;
  } finally {
    await Promise.all(runs.map((key) => deleteObject(event.bucket, key).catch(() => undefined)));
  }
}

/** Merges the runs (in passes of FAN_IN, through intermediate runs pushed onto `runs`) into one record stream. */
async function mergeAll<S>(
  bucket: string,
  runs: string[],
  spillPrefix: string,
  fold: ReduceFold<unknown, S>,
  stats: ReduceStats,
): Promise<AsyncIterable<[string, S]>> {
  let level = [...runs];
  while (level.length > FAN_IN) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += FAN_IN) {
      const key = `${spillPrefix}pass-${runs.length}`;
      stats.spilledBytes += await writeLines(
        bucket,
        key,
        encodeRecords(mergeRuns(bucket, level.slice(i, i + FAN_IN), fold)),
      );
      runs.push(key);
      next.push(key);
    }
    level = next;
  }
  return mergeRuns(bucket, level, fold);
}

async function* encodeRecords<S>(records: AsyncIterable<[string, S]>): AsyncGenerator<string> {
  for await (const record of records) yield `${JSON.stringify(record)}\n`;
}

/** A k-way merge of sorted runs of `[key, state]` lines; equal keys' states are merged. */
async function* mergeRuns<S>(
  bucket: string,
  runs: string[],
  fold: ReduceFold<unknown, S>,
): AsyncGenerator<[string, S]> {
  const heads = await Promise.all(
    runs.map(async (key) => {
      const lines = readLines(bucket, key)[Symbol.asyncIterator]();
      const head = { lines, current: undefined as [string, S] | undefined };
      await advance(head);
      return head;
    }),
  );
  let open = heads.filter((h) => h.current !== undefined);
  while (open.length > 0) {
    let min = (open[0] as (typeof open)[number]).current as [string, S];
    for (const head of open) if ((head.current as [string, S])[0] < min[0]) min = head.current as [string, S];
    const key = min[0];
    let merged: S | undefined;
    for (const head of open) {
      const current = head.current as [string, S];
      if (current[0] !== key) continue;
      merged = merged === undefined ? current[1] : fold.merge(merged, current[1]);
      await advance(head);
    }
    yield [key, merged as S];
    open = open.filter((h) => h.current !== undefined);
  }

  async function advance(head: { lines: AsyncIterator<string>; current: [string, S] | undefined }) {
    for (;;) {
      const next = await head.lines.next();
      if (next.done) {
        head.current = undefined;
        return;
      }
      if (next.value) {
        head.current = JSON.parse(next.value) as [string, S];
        return;
      }
    }
  }
}

/**
 * The lines of each object in turn, with the GETs of the next READ_AHEAD objects already under
 * way: a reducer's inputs are one small object per map task, and reading them one round trip after
 * another left it waiting on each.
 */
async function* readAhead(bucket: string, keys: string[]): AsyncGenerator<AsyncIterable<string>> {
  const opened: Array<AsyncIterator<Buffer>> = [];
  const open = (i: number) => {
    const chunks = getObjectChunks(bucket, keys[i] as string);
    // The first next() sends the request; an error surfaces when that input's turn comes.
    const first = chunks.next();
    first.catch(() => {});
    opened[i] = withFirst(first, chunks);
  };
  try {
    for (let i = 0; i < keys.length; i++) {
      for (let j = i; j < Math.min(keys.length, i + 1 + READ_AHEAD); j++) if (!opened[j]) open(j);
      const chunks = opened[i] as AsyncIterator<Buffer>;
      yield createInterface({
        input: Readable.from({ [Symbol.asyncIterator]: () => chunks }),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
    }
  } finally {
    // Inputs opened ahead but never read (the reduce failed) release their connections.
    await Promise.all(opened.map((chunks) => chunks?.return?.().catch(() => undefined)));
  }
}

/** An iterator that answers `first` (an already started next()) before the rest of `rest`. */
function withFirst<T>(first: Promise<IteratorResult<T>>, rest: AsyncIterator<T>): AsyncIterator<T> {
  let pending: Promise<IteratorResult<T>> | undefined = first;
  return {
    next() {
      const answer = pending ?? rest.next();
      pending = undefined;
      return answer;
    },
    return(value?: unknown) {
      pending = undefined;
      return rest.return ? rest.return(value) : Promise.resolve({ done: true, value: undefined as T });
    },
  };
}

/** The lines of an object, streamed. */
function readLines(bucket: string, key: string): AsyncIterable<string> {
  return createInterface({ input: Readable.from(getObjectChunks(bucket, key)), crlfDelay: Number.POSITIVE_INFINITY });
}

/**
 * Writes text pieces as an object with its Content-Length: gathered in memory up to SPOOL_BYTES,
 * past that spooled to a temp file in chunks of about WRITE_CHUNK bytes and uploaded from it;
 * returns the bytes written.
 */
async function writeLines(
  bucket: string,
  key: string,
  pieces: Iterable<string> | AsyncIterable<string>,
): Promise<number> {
  const chunks = chunksOf(pieces)[Symbol.asyncIterator]();
  const held: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const next = await chunks.next();
    if (next.done) {
      await putObject(bucket, key, held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held), {
        contentLength: bytes,
      });
      return bytes;
    }
    held.push(next.value);
    bytes += next.value.length;
    if (bytes > SPOOL_BYTES) break;
  }
  const spool = join(tmpdir(), `reduce-${randomUUID()}`);
  try {
    await pipeline(
      Readable.from(
        (async function* () {
          yield* held.splice(0);
          for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
            bytes += next.value.length;
            yield next.value;
          }
        })(),
      ),
      createWriteStream(spool),
    );
    await putObject(bucket, key, createReadStream(spool, { highWaterMark: WRITE_CHUNK }), { contentLength: bytes });
    return bytes;
  } finally {
    await rm(spool, { force: true });
  }
}

/** Joins text pieces into chunks of about WRITE_CHUNK bytes. */
async function* chunksOf(pieces: Iterable<string> | AsyncIterable<string>): AsyncGenerator<Uint8Array> {
  let pending: string[] = [];
  let size = 0;
  for await (const piece of pieces) {
    pending.push(piece);
    size += piece.length;
    if (size >= WRITE_CHUNK) {
      yield Buffer.from(pending.join(''));
      pending = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.from(pending.join(''));
}
