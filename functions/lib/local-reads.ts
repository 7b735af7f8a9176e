/**
 * Short-circuit local reads from inside a mapper (docs/MAPPERS.md, "Local reads"). When the event
 * offers them (`localReads`: the mapper runs sandboxed on the engine's own host), the attempt asks the
 * engine, SigV4-signed with the function's credentials and carrying its attempt's secret, for its
 * input objects as read-only files (in pieces, the first small); the engine links exactly those into
 * the environment, until the invocation ends. Every object not granted — or whose file is not the size the split was planned
 * for — is read over S3 as before, so the S3 path stays the fallback and the only path elsewhere.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { engineSigner, postToEngine } from './engine-post.js';
import { readChunks, readRange } from './object-io.js';
import type { MapEvent, ReadGrantAnswer, ReadGrantRequest, SplitSpec } from './protocol.js';

/**
 * Byte-range access to one object, half-open [start, end) as in the split rules. A chunk `chunks`
 * yields is valid only until the next is asked for (a local file is read into one reused buffer):
 * whoever keeps bytes across chunks copies them.
 */
export interface ObjectReader {
  range(start: number, end: number): Promise<Uint8Array>;
  chunks(start: number, end: number): AsyncIterable<Uint8Array>;
}

/**
 * Bytes per read of a granted file, into one buffer reused for the whole range: a fresh buffer per
 * chunk (what a read stream hands out) cost more than the count itself — 270–630 MB/s against
 * 3–6 GB/s for the same read and count into a reused 1 MB buffer, one core, page-cached file.
 */
const CHUNK_BYTES = 1024 * 1024;
/**
 * Ranges of a granted file up to this size are read with synchronous calls: a page-cached 64 KB
 * object took ~60 µs that way against ~120 µs through the promise API's open, read and close
 * (each a hop through the thread pool), and a task over thousands of small objects pays it per object.
 */
const SYNC_READ_BYTES = 1024 * 1024;
const REQUEST_TIMEOUT_MS = 5_000;
const EMPTY = new Uint8Array(0);

/** Objects the first grant request names: the mapper's first reads (its read-ahead), linked at once. */
const FIRST_GRANT_OBJECTS = 16;
/**
 * Objects each later request names. The engine links a grant's files one by one on its thread (tens
 * of µs each, waiting on the file system more than computing), so one request for a task's 1,500
 * master objects kept its mapper from reading for 100-500 ms, and four mappers asking at once were
 * answered one after another; in pieces, every mapper reads from its first piece on while the rest
 * are linked, well ahead of its reads.
 */
const GRANT_OBJECTS = 256;

/** The readers of one attempt's objects: granted files, else S3. */
export class ObjectReaders {
  /** "bucket/key" → the granted file's path inside this environment. */
  readonly #files: Map<string, string>;
  /** "bucket/key" → when the request that names the object settles (objects still being asked for). */
  readonly #pending = new Map<string, Promise<void>>();
  /** The objects this attempt read, by the path they took. */
  readonly #readLocally = new Set<string>();
  readonly #readOverS3 = new Set<string>();
  #closed = false;

  constructor(files: ReadGrantAnswer['files'] = []) {
    this.#files = new Map(files.map((f) => [`${f.bucket}/${f.key}`, f.path]));
  }

  /**
   * Asks the engine for the attempt's grant when the event offers one: answers once the first
   * objects are granted, and asks for the rest in pieces, one request at a time, while the mapper
   * reads. Any failure leaves the objects not yet granted on S3 (logged once: the job still runs,
   * only slower).
   */
  static async forEvent(event: MapEvent, requestId: string | undefined, env = process.env): Promise<ObjectReaders> {
    const endpoint = env.AWS_ENDPOINT_URL;
    const readers = new ObjectReaders();
    if (!event.localReads || !requestId || !endpoint) return readers;
    const request: ReadGrantRequest = {
      taskId: event.taskId,
      attempt: event.attempt,
      secret: event.localReads.secret,
      requestId,
    };
    const url = new URL(`${endpoint.replace(/\/$/, '')}/_lambdata/jobs/${encodeURIComponent(event.jobId)}/reads`);
    const signer = engineSigner(env);
    const ask = async (objects: ObjectId[]): Promise<boolean> => {
      if (readers.#closed) return false;
      try {
        const answer = await postToEngine(signer, url, JSON.stringify({ ...request, objects }), {
          timeoutMs: REQUEST_TIMEOUT_MS,
        });
        if (answer.status < 200 || answer.status >= 300)
          throw new Error(`the engine answered ${answer.status}: ${answer.text}`);
        // Parsed here, inside the try: an answer that is not JSON also means reading over S3.
        for (const f of (JSON.parse(answer.text) as ReadGrantAnswer).files)
          readers.#files.set(`${f.bucket}/${f.key}`, f.path);
        return true;
      } catch (err) {
        console.warn(`local reads off for task ${event.taskId}: ${(err as Error).message}`);
        return false;
      }
    };
    const objects = objectsOf(event.splits);
    if (!(await ask(objects.slice(0, FIRST_GRANT_OBJECTS)))) return readers;
    let asked: Promise<boolean> = Promise.resolve(true);
    for (let at = FIRST_GRANT_OBJECTS; at < objects.length; at += GRANT_OBJECTS) {
      const piece = objects.slice(at, at + GRANT_OBJECTS);
      asked = asked.then((ok) => ok && ask(piece));
      const settled = asked.then(() => undefined);
      for (const o of piece) readers.#pending.set(`${o.bucket}/${o.key}`, settled);
    }
    return readers;
  }

  /** Asks for no more grants (the attempt is ending); reads already granted stay local. */
  close(): void {
    this.#closed = true;
  }

  /** How many objects this attempt reads as local files. */
  get granted(): number {
    return this.#files.size;
  }

  /**
   * The line an attempt offered local reads logs when done (in its function's log and the job's
   * `log` events): how many of its objects it read from granted files and how many over S3.
   */
  summary(): string {
    return `local reads: ${this.#readLocally.size} objects from granted files, ${this.#readOverS3.size} over S3`;
  }

  /** The reader of a split's object, once the request naming it (if one is still out) has settled. */
  async readerWhenAsked(split: SplitSpec): Promise<ObjectReader> {
    const pending = this.#pending.get(`${split.bucket}/${split.key}`);
    if (pending) await pending;
    return this.readerFor(split);
  }

  /** The reader of a split's object: its granted file when that is the object planned, else S3. */
  readerFor(split: SplitSpec): ObjectReader {
    const id = `${split.bucket}/${split.key}`;
    const path = this.#files.get(id);
    if (path !== undefined && sizeOf(path) === split.size) {
      this.#readLocally.add(id);
      return fileReader(path);
    }
    this.#readOverS3.add(id);
    return {
      range: (start, end) => readRange(split.bucket, split.key, start, end),
      chunks: (start, end) => readChunks(split.bucket, split.key, start, end),
    };
  }
}

type ObjectId = { bucket: string; key: string };

/** The objects a task's splits read from the store (not inlined into its event), each once, in split order. */
function objectsOf(splits: SplitSpec[]): ObjectId[] {
  const seen = new Set<string>();
  const out: ObjectId[] = [];
  for (const { bucket, key, inline } of splits) {
    const id = `${bucket}/${key}`;
    if (inline !== undefined || seen.has(id)) continue;
    seen.add(id);
    out.push({ bucket, key });
  }
  return out;
}

function fileReader(path: string): ObjectReader {
  return {
    async range(start, end) {
      if (end <= start) return EMPTY;
      if (end - start <= SYNC_READ_BYTES) return readSyncRange(path, start, end);
      const file = await open(path, 'r');
      try {
        const bytes = Buffer.allocUnsafe(end - start);
        let filled = 0;
        while (filled < bytes.length) {
          const { bytesRead } = await file.read(bytes, filled, bytes.length - filled, start + filled);
          if (bytesRead === 0) throw new Error(`${path} ended at byte ${start + filled}, before ${end}`);
          filled += bytesRead;
        }
        return bytes;
      } finally {
        await file.close();
      }
    },
    async *chunks(start, end) {
      if (end <= start) return;
      const file = await open(path, 'r');
      try {
        const buffer = Buffer.allocUnsafeSlow(Math.min(CHUNK_BYTES, end - start));
        for (let at = start; at < end; ) {
          const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, end - at), at);
          if (bytesRead === 0) throw new Error(`${path} ended at byte ${at}, before ${end}`);
          at += bytesRead;
          yield buffer.subarray(0, bytesRead);
        }
      } finally {
        await file.close();
      }
    },
  };
}

/** Bytes [start, end) of a local file, read with synchronous calls. @throws when the file is shorter. */
function readSyncRange(path: string, start: number, end: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.allocUnsafe(end - start);
    for (let filled = 0; filled < bytes.length; ) {
      const read = readSync(fd, bytes, filled, bytes.length - filled, start + filled);
      if (read === 0) throw new Error(`${path} ended at byte ${start + filled}, before ${end}`);
      filled += read;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined; // the grant ended or never held: read over S3
  }
}
