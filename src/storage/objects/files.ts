import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { type FileHandle, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EntityTooLarge } from './errors.js';
import { OffThreadMd5 } from './md5-worker.js';
import type { BodyInput } from './types.js';

/** Bytes gathered before one `writev`, so small network chunks do not each cost a syscall round trip. */
const WRITE_BATCH = 4 << 20;
/**
 * Bytes written between background fdatasyncs of a large body: the disk flushes while the rest is still
 * arriving, so the fsync before the ack only has the tail left to write.
 */
const SYNC_EVERY = 64 << 20;

/** A body written to a temp file: where, how big, and its MD5. */
export interface WrittenBody {
  tempPath: string;
  size: number;
  md5: Buffer;
}

/**
 * Where object bodies live on disk. Every file name is generated (never derived from a key), under
 * `<root>/<bucket>/`: `tmp/` for writes in progress, `data/<xx>/<id>` for committed bodies and
 * `uploads/<uploadId>/<id>` for multipart parts. Paths stored in SQLite are relative to the root.
 */
export class BodyFiles {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
    mkdirSync(root, { recursive: true });
  }

  /** Creates the directories of a new bucket. */
  createBucket(bucket: string): void {
    mkdirSync(join(this.root, bucket, 'tmp'), { recursive: true });
    mkdirSync(join(this.root, bucket, 'data'), { recursive: true });
  }

  /** Removes a bucket's whole data area. */
  removeBucket(bucket: string): void {
    rmSync(join(this.root, bucket), { recursive: true, force: true });
  }

  /** A fresh relative path for a committed body of `bucket`. */
  newBodyFile(bucket: string): string {
    const id = randomBytes(16).toString('hex');
    return join(bucket, 'data', id.slice(0, 2), id);
  }

  /** A fresh relative path for a part of an upload. */
  newPartFile(bucket: string, uploadId: string, partNumber: number): string {
    return join(bucket, 'uploads', uploadId, `${partNumber}.${randomBytes(8).toString('hex')}`);
  }

  /** The absolute path of a relative body path. */
  absolute(file: string): string {
    return join(this.root, file);
  }

  /**
   * Streams `body` into a new temp file of the bucket, hashing it on the way, and fsyncs it.
   * Throws EntityTooLarge past `maxSize` (the temp file is removed on any failure).
   */
  async writeTemp(bucket: string, body: BodyInput, maxSize: number): Promise<WrittenBody> {
    const tempPath = join(this.root, bucket, 'tmp', randomBytes(16).toString('hex'));
    const handle = await open(tempPath, 'wx');
    // Bodies past one batch are hashed batch by batch on the MD5 worker; smaller ones right here.
    let offThread: OffThreadMd5 | undefined;
    let md5: Buffer;
    let hashing: Promise<void> = Promise.resolve();
    let size = 0;
    // One write in flight while the next batch is read and hashed, so disk and CPU work overlap.
    let writing: Promise<void> = Promise.resolve();
    // At most one background flush in flight; it only shortens the final sync, which stays the guarantee.
    let syncing: Promise<void> | undefined;
    let unsynced = 0;
    try {
      let batch: Buffer[] = [];
      let batchBytes = 0;
      for await (const chunk of chunksOf(body)) {
        size += chunk.length;
        if (size > maxSize) throw new EntityTooLarge(maxSize);
        batch.push(chunk);
        batchBytes += chunk.length;
        if (batchBytes >= WRITE_BATCH) {
          offThread ??= new OffThreadMd5();
          await hashing;
          hashing = handled(offThread.update(batch));
          await writing;
          writing = handled(writeAll(handle, batch));
          unsynced += batchBytes;
          batch = [];
          batchBytes = 0;
          if (unsynced >= SYNC_EVERY && !syncing) {
            unsynced = 0;
            const flush: Promise<void> = handled(
              writing
                .then(() => handle.datasync())
                .finally(() => {
                  if (syncing === flush) syncing = undefined;
                }),
            );
            syncing = flush;
          }
        }
      }
      if (offThread && batch.length > 0) {
        await hashing;
        hashing = handled(offThread.update(batch));
      }
      await writing;
      if (batch.length > 0) await writeAll(handle, batch);
      await hashing;
      md5 = offThread ? await offThread.digest() : md5Of(batch);
      await syncing;
      await handle.sync();
    } catch (err) {
      offThread?.drop();
      await writing.catch(() => undefined);
      await hashing.catch(() => undefined);
      await syncing?.catch(() => undefined);
      await handle.close();
      await rm(tempPath, { force: true });
      throw err;
    }
    await handle.close();
    return { tempPath, size, md5 };
  }

  /** Moves a synced temp file to its final relative path and fsyncs the directory that now holds it. */
  async place(tempPath: string, file: string): Promise<void> {
    const target = this.absolute(file);
    const dir = join(target, '..');
    try {
      await rename(tempPath, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(dir, { recursive: true });
      await rename(tempPath, target);
      // A new shard directory must itself be durable in its parent.
      await syncDir(join(dir, '..'));
    }
    await syncDir(dir);
  }

  /** Removes a relative body path; a missing file is fine. */
  async remove(file: string): Promise<void> {
    await rm(this.absolute(file), { force: true, recursive: true });
  }

  /** Removes data areas of buckets that no longer exist (a crash between a bucket's delete and its rm). */
  async removeStrayBuckets(buckets: string[]): Promise<number> {
    const known = new Set(buckets);
    const stray = (await readdir(this.root)).filter((name) => !known.has(name));
    for (const name of stray) await rm(join(this.root, name), { recursive: true, force: true });
    return stray.length;
  }

  /** Removes every temp file left by writes that never finished (at start). */
  async clearTemp(buckets: string[]): Promise<number> {
    let removed = 0;
    for (const bucket of buckets) {
      const dir = join(this.root, bucket, 'tmp');
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        this.createBucket(bucket);
        continue;
      }
      for (const name of names) await rm(join(dir, name), { force: true });
      removed += names.length;
    }
    return removed;
  }
}

/** Marks a promise's failure as handled until someone awaits it (and sees the error). */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

function md5Of(chunks: Buffer[]): Buffer {
  const hash = createHash('md5');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest();
}

/** fsyncs a directory so a rename in it survives power loss. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, chunks: Buffer[]): Promise<void> {
  let pending = chunks;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending);
    pending = skipBytes(pending, bytesWritten);
  }
}

function skipBytes(chunks: Buffer[], count: number): Buffer[] {
  let rest = count;
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    if (rest >= chunk.length) {
      rest -= chunk.length;
      continue;
    }
    out.push(rest > 0 ? chunk.subarray(rest) : chunk);
    rest = 0;
  }
  return out;
}

async function* chunksOf(body: BodyInput): AsyncIterable<Buffer> {
  if (typeof body === 'string') {
    yield Buffer.from(body, 'utf8');
    return;
  }
  if (body instanceof Uint8Array) {
    yield Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return;
  }
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
    else yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}
