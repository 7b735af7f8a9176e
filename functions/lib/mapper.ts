/**
 * The driver every built-in mapper shares: it reads each split's owned lines (range reads for
 * text, streaming gunzip for gzip objects and bgzip members), hands whole lines to a sink, and
 * stops before the function's deadline, returning what is left so the coordinator can schedule it.
 */
import { pipeline, Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { type ObjectReader, ObjectReaders } from './local-reads.js';
import { ProgressReporter } from './progress.js';
import type { MapEvent, MapPiece, SplitSpec } from './protocol.js';
import { lastNewline, ownedRange } from './splits.js';

/** Counts a sink reports for a chunk of whole lines. */
export interface ChunkCounts {
  words: number;
  lines: number;
  bytes: number;
}

/** Consumes whole lines bytes[from, to) of `piece` (valid during the call only); returns their counts. */
export type LineSink = (bytes: Uint8Array, from: number, to: number, piece: MapPiece) => ChunkCounts;

/** The part of the Lambda context the driver needs. */
export interface DeadlineContext {
  getRemainingTimeInMillis(): number;
  /** The invocation's request id (a local read grant lasts as long as it runs). */
  awsRequestId?: string;
}

/** What the driver returns: finished pieces and the splits (or split tails) still to do. */
export interface MapRun {
  pieces: MapPiece[];
  remaining: SplitSpec[];
}

const READ_BYTES = 8 * 1024 * 1024;
const MIN_MARGIN_MS = 300;
const PREFETCH_DEPTH = 16;
const SMALL_OBJECT_BYTES = 1024 * 1024;
/**
 * Whole gzip objects up to this compressed size are read at once and inflated in one call: a
 * stream per object (a master dataset holds thousands of ~30 KB ones) cost several times the
 * inflating itself, in stream machinery and in garbage from its 1 MB output chunks.
 */
const SMALL_GZIP_BYTES = 1024 * 1024;

/**
 * Runs `sink` over every split of the event until done or the deadline draws near.
 * @throws Error('Injected failure …') on attempts ≤ event.failAttempts (a testing aid).
 */
export async function runMap(event: MapEvent, context: DeadlineContext, sink: LineSink): Promise<MapRun> {
  if (event.failAttempts && event.attempt <= event.failAttempts) {
    throw new Error(`Injected failure on attempt ${event.attempt} of task ${event.taskId}`);
  }
  const pace = event.pace;
  const clock = new Deadline(context);
  const pieces: MapPiece[] = [];
  const progress = new ProgressReporter(event);
  const readers = await ObjectReaders.forEvent(event, context.awsRequestId);
  const prefetch = new Prefetch(event.splits, readers);
  for (let i = 0; i < event.splits.length; i++) {
    const split = event.splits[i] as SplitSpec;
    const whole =
      split.inline !== undefined
        ? Promise.resolve(Buffer.from(split.inline, 'base64'))
        : pace
          ? undefined
          : prefetch.take(i);
    if (pieces.length > 0 && clock.low()) return ended({ pieces, remaining: event.splits.slice(i) });
    const piece: MapPiece = {
      key: split.key,
      offset: split.offset ?? 0,
      start: split.start,
      end: split.start,
      words: 0,
      lines: 0,
      bytes: 0,
    };
    pieces.push(piece);
    const feed = (bytes: Uint8Array, from: number, to: number) => {
      const counts = sink(bytes, from, to, piece);
      piece.words += counts.words;
      piece.lines += counts.lines;
      piece.bytes += counts.bytes;
      piece.end += to - from;
      progress.maybeSend(pieces);
    };
    let body: Uint8Array | undefined;
    try {
      body = whole && (await whole);
    } catch (err) {
      throw namingObject(err, split);
    }
    const reader = body ? undefined : await readers.readerWhenAsked(split);
    const stoppedAt = !reader
      ? mapWhole(split.format === 'gzip' ? inflate(body as Uint8Array, split.size) : (body as Uint8Array), piece, feed)
      : split.format === 'text'
        ? pace
          ? await mapText(split, reader, piece, feed, clock, pace)
          : await mapTextStream(split, reader, piece, feed, clock)
        : await mapCompressed(split, reader, feed, clock, pace);
    if (stoppedAt !== null) {
      return ended({ pieces, remaining: [{ ...split, start: stoppedAt }, ...event.splits.slice(i + 1)] });
    }
    if (isWholeObject(split)) progress.objectDone(piece);
  }
  return ended({ pieces, remaining: [] });

  function ended(run: MapRun): MapRun {
    readers.close();
    if (event.localReads) console.log(readers.summary());
    return run;
  }
}

/** A read's error with the object it was reading named in its message (its name and code kept). */
function namingObject(err: unknown, split: SplitSpec): unknown {
  if (!(err instanceof Error)) return err;
  err.message = `s3://${split.bucket}/${split.key}: ${err.message}`;
  return err;
}

type Feed = (bytes: Uint8Array, from: number, to: number) => void;
type Pace = MapEvent['pace'];

/** Maps a small object read whole (its split is the whole object). */
function mapWhole(bytes: Uint8Array, piece: MapPiece, feed: Feed): null {
  piece.start = 0;
  piece.end = 0;
  if (bytes.length > 0) feed(bytes, 0, bytes.length);
  return null;
}

/** A whole gzip object's lines (every member), inflated in one call with an output chunk near its size. */
function inflate(compressed: Uint8Array, size: number): Uint8Array {
  return gunzipSync(compressed, { chunkSize: Math.min(16 * 1024 * 1024, Math.max(64 * 1024, size * 8)) });
}

/**
 * Reads small whole-object text and gzip splits ahead, a few at a time, so a task over many tiny objects
 * is not a chain of sequential round trips.
 */
class Prefetch {
  #splits: SplitSpec[];
  #readers: ObjectReaders;
  #reads = new Map<number, Promise<Uint8Array>>();
  #next = 0;

  constructor(splits: SplitSpec[], readers: ObjectReaders) {
    this.#splits = splits;
    this.#readers = readers;
  }

  /** The whole body of split `i` when it is a small whole object, else undefined. */
  take(i: number): Promise<Uint8Array> | undefined {
    this.#next = Math.max(this.#next, i);
    while (this.#next < this.#splits.length && this.#next < i + PREFETCH_DEPTH) {
      const split = this.#splits[this.#next] as SplitSpec;
      if (isSmallWhole(split) && split.inline === undefined) {
        const read = this.#readers.readerWhenAsked(split).then((reader) => reader.range(0, split.size));
        // Awaited when its turn comes; until then a failed read is not an unhandled rejection.
        read.catch(() => {});
        this.#reads.set(this.#next, read);
      }
      this.#next++;
    }
    const read = this.#reads.get(i);
    this.#reads.delete(i);
    return read;
  }
}

/** True when the split is its object's only split, so finishing it finishes the object. */
function isWholeObject(split: SplitSpec): boolean {
  if (split.start !== 0) return false;
  return split.format === 'gzip' || (split.format === 'text' && (split.end ?? split.size) === split.size);
}

function isSmallWhole(split: SplitSpec): boolean {
  if (split.format === 'gzip')
    return (
      split.start === 0 &&
      (split.offset ?? 0) === 0 &&
      (split.length ?? split.size) === split.size &&
      split.size <= SMALL_GZIP_BYTES
    );
  return (
    split.format === 'text' &&
    split.start === 0 &&
    (split.end ?? split.size) === split.size &&
    split.size <= SMALL_OBJECT_BYTES
  );
}

/** Maps one text split; returns the line start it stopped at, or null when the split is done. */
async function mapText(
  split: SplitSpec,
  reader: ObjectReader,
  piece: MapPiece,
  feed: Feed,
  clock: Deadline,
  pace: Pace,
): Promise<number | null> {
  const read = (a: number, b: number) => reader.range(a, b);
  const owned = await ownedRange(read, split.size, { start: split.start, end: split.end ?? split.size });
  piece.start = owned.start;
  piece.end = owned.start;
  const step = pace?.chunkBytes ?? READ_BYTES;
  let carry: Uint8Array | undefined;
  for (let pos = owned.start; pos < owned.end; ) {
    const started = Date.now();
    const next = Math.min(owned.end, pos + step);
    const chunk = join(carry, await read(pos, next));
    pos = next;
    const cut = pos === owned.end ? chunk.length : lastNewline(chunk) + 1;
    carry = cut < chunk.length ? chunk.subarray(cut) : undefined;
    if (cut > 0) feed(chunk, 0, cut);
    if (pace?.delayMs) await sleep(pace.delayMs);
    clock.record(Date.now() - started);
    if (cut > 0 && pos < owned.end && clock.low()) return piece.end;
  }
  return null;
}

/**
 * Maps one text split as its bytes arrive, in one GET of the owned range: each socket chunk is cut
 * after its last '\n' and fed in place; only the partial line at a cut is copied (with the head of
 * the next chunk). Same contract as mapText.
 */
async function mapTextStream(
  split: SplitSpec,
  reader: ObjectReader,
  piece: MapPiece,
  feed: Feed,
  clock: Deadline,
): Promise<number | null> {
  const read = (a: number, b: number) => reader.range(a, b);
  const owned = await ownedRange(read, split.size, { start: split.start, end: split.end ?? split.size });
  piece.start = owned.start;
  piece.end = owned.start;
  if (owned.end <= owned.start) return null;
  const lines = new LineCutter(feed);
  let started = Date.now();
  let sinceCheck = 0;
  let received = 0;
  for await (const chunk of reader.chunks(owned.start, owned.end)) {
    lines.push(chunk);
    received += chunk.length;
    sinceCheck += chunk.length;
    if (sinceCheck < READ_BYTES) continue;
    clock.record(Date.now() - started);
    started = Date.now();
    sinceCheck = 0;
    // Leaving the loop closes the connection; the carried partial line belongs to the remainder.
    if (owned.start + received < owned.end && piece.end > owned.start && clock.low()) return piece.end;
  }
  if (owned.start + received !== owned.end)
    throw new Error(`read ${received} bytes of ${split.key} [${owned.start}, ${owned.end})`);
  lines.end();
  return null;
}

/**
 * Cuts a stream of chunks into whole lines for a Feed, copying only the lines that straddle two
 * chunks. A chunk may be overwritten once `push` returns (readers reuse their buffer): the
 * unterminated tail it keeps is a copy.
 */
export class LineCutter {
  #feed: Feed;
  #carry: Uint8Array[] = [];

  constructor(feed: Feed) {
    this.#feed = feed;
  }

  /** Feeds the whole lines that `chunk` completes; keeps (a copy of) its unterminated tail. */
  push(chunk: Uint8Array): void {
    const last = chunk.lastIndexOf(0x0a);
    if (last < 0) {
      if (chunk.length > 0) this.#carry.push(new Uint8Array(chunk)); // a copy (Buffer.slice would share)
      return;
    }
    let from = 0;
    if (this.#carry.length > 0) {
      const first = chunk.indexOf(0x0a);
      const joined = Buffer.concat([...this.#carry, chunk.subarray(0, first + 1)]);
      this.#carry = [];
      this.#feed(joined, 0, joined.length);
      from = first + 1;
    }
    if (from < last + 1) this.#feed(chunk, from, last + 1);
    if (last + 1 < chunk.length) this.#carry.push(new Uint8Array(chunk.subarray(last + 1)));
  }

  /** Feeds the final unterminated line, if any. */
  end(): void {
    if (this.#carry.length === 0) return;
    const joined = Buffer.concat(this.#carry);
    this.#carry = [];
    this.#feed(joined, 0, joined.length);
  }
}

/** Maps a gzip object or bgzip member from decompressed byte `split.start`; same contract as mapText. */
async function mapCompressed(
  split: SplitSpec,
  reader: ObjectReader,
  feed: Feed,
  clock: Deadline,
  pace: Pace,
): Promise<number | null> {
  const offset = split.offset ?? 0;
  const length = split.length ?? split.size;
  const step = READ_BYTES;
  async function* compressed() {
    for (let p = offset; p < offset + length; p += step) {
      yield await reader.range(p, Math.min(offset + length, p + step));
    }
  }
  const gunzip = createGunzip({ chunkSize: pace?.chunkBytes ?? 1024 * 1024 });
  pipeline(Readable.from(compressed()), gunzip, (err) => {
    if (err && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') gunzip.destroy(err);
  });
  let position = 0; // decompressed bytes seen before `carry`
  let carry: Uint8Array | undefined;
  let started = Date.now();
  for await (const raw of gunzip as AsyncIterable<Buffer>) {
    let chunk: Uint8Array = raw;
    if (position + chunk.length <= split.start) {
      position += chunk.length;
      continue;
    }
    if (position < split.start) {
      chunk = chunk.subarray(split.start - position);
      position = split.start;
    }
    const whole = join(carry, chunk);
    const cut = lastNewline(whole) + 1;
    carry = cut < whole.length ? whole.subarray(cut) : undefined;
    if (cut > 0) feed(whole, 0, cut);
    position += cut;
    if (pace?.delayMs) await sleep(pace.delayMs);
    clock.record(Date.now() - started);
    started = Date.now();
    if (cut > 0 && clock.low()) {
      gunzip.destroy();
      return position;
    }
  }
  if (carry && carry.length > 0) feed(carry, 0, carry.length);
  return null;
}

/** Tracks the remaining time and the slowest chunk, so a mapper stops with room to answer. */
class Deadline {
  #context: DeadlineContext;
  #slowest = 0;

  constructor(context: DeadlineContext) {
    this.#context = context;
  }

  record(ms: number): void {
    if (ms > this.#slowest) this.#slowest = ms;
  }

  low(): boolean {
    return this.#context.getRemainingTimeInMillis() < Math.max(MIN_MARGIN_MS, 3 * this.#slowest + 100);
  }
}

function join(head: Uint8Array | undefined, tail: Uint8Array): Uint8Array {
  if (!head || head.length === 0) return tail;
  return Buffer.concat([head, tail]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
