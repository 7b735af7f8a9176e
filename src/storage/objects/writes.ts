/**
 * The write path of the object store. A body streams to a temp file and is placed under a journal
 * (the orphan list), so a crash before its commit leaves no stray file; its metadata commits in one
 * transaction with the object event, its sequencer and the onCommit listeners; the body it replaces
 * (or a deleted object's) is unlinked after the commit, and whatever a crash left journalled is
 * unlinked at start.
 */
import { Topic } from '../../shared/events.js';
import type { Logger } from '../../shared/log.js';
import type { Db } from '../../state/db.js';
import { BadDigest, InvalidDigest } from './errors.js';
import type { BodyFiles } from './files.js';
import { type ObjectRow, toObjectInfo } from './schema.js';
import {
  type BodyInput,
  OBJECT_EVENT_NAMES,
  type ObjectEvent,
  type ObjectEventName,
  type ObjectInfo,
  type PutOptions,
} from './types.js';

/** What a commit writes: the new body and its metadata. Used by puts, copies and multipart completion. */
export interface ObjectCommit {
  bucket: string;
  key: Buffer;
  file: string;
  size: number;
  /** Unquoted. */
  etag: string;
  options: PutOptions;
  eventName: ObjectEventName;
  /** More statements for the same transaction (e.g. dropping the upload a multipart commit completes). */
  alsoInTransaction?: () => void;
}

/** S3's largest object: 5 TiB. */
export const MAX_OBJECT_SIZE = 5 * 1024 ** 4;
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const EVENT_BY_VERB = {
  Put: OBJECT_EVENT_NAMES.put,
  Post: OBJECT_EVENT_NAMES.post,
  Copy: OBJECT_EVENT_NAMES.copy,
} as const;

/** Puts, commits and deletes of objects, their events, and the release of bodies no row references. */
export class ObjectWrites {
  /** Every committed object event, published after its commit. */
  readonly events = new Topic<ObjectEvent>();
  #db: Db;
  #files: BodyFiles;
  #log: Logger;
  #assertBucket: (bucket: string) => void;
  #listeners = new Set<(event: ObjectEvent) => void>();
  #sequence: number;
  #releasing = new Set<Promise<void>>();
  #sql;

  constructor(db: Db, files: BodyFiles, log: Logger, assertBucket: (bucket: string) => void) {
    this.#db = db;
    this.#files = files;
    this.#log = log;
    this.#assertBucket = assertBucket;
    this.#sql = {
      object: db.prepare<[string, Buffer], ObjectRow>('SELECT * FROM s3_objects WHERE bucket = ? AND object_key = ?'),
      upsertObject: db.prepare(
        `INSERT OR REPLACE INTO s3_objects (bucket, object_key, size, etag, last_modified, content_type, metadata,
           content_encoding, content_disposition, cache_control, file)
         VALUES (@bucket, @key, @size, @etag, @lastModified, @contentType, @metadata, @contentEncoding,
           @contentDisposition, @cacheControl, @file)`,
      ),
      deleteObject: db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND object_key = ?'),
      addOrphan: db.prepare('INSERT OR IGNORE INTO s3_orphan_files (file) VALUES (?)'),
      dropOrphan: db.prepare('DELETE FROM s3_orphan_files WHERE file = ?'),
      orphans: db.prepare<[], { file: string }>('SELECT file FROM s3_orphan_files'),
      sequence: db.prepare<[], { value: number }>('SELECT value FROM s3_sequence WHERE id = 1'),
      setSequence: db.prepare('UPDATE s3_sequence SET value = ? WHERE id = 1'),
    };
    this.#sequence = this.#sql.sequence.get()?.value ?? 0;
  }

  /** Registers a listener run inside the metadata transaction of every object event. */
  onCommit(listener: (event: ObjectEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Streams a body to disk and commits it under `keyBuf`. Throws NoSuchBucket, InvalidArgument, BadDigest,
   * InvalidDigest, EntityTooLarge.
   */
  async put(
    bucket: string,
    keyBuf: Buffer,
    body: BodyInput,
    options: PutOptions,
    eventName: keyof typeof EVENT_BY_VERB,
  ): Promise<ObjectInfo> {
    this.#assertBucket(bucket);
    const expectedMd5 = options.contentMd5 === undefined ? undefined : decodeMd5(options.contentMd5);
    const file = this.#files.newBodyFile(bucket);
    let written: Awaited<ReturnType<BodyFiles['writeTemp']>>;
    try {
      written = await this.#files.writeTemp(bucket, body, MAX_OBJECT_SIZE);
      if (expectedMd5 && !expectedMd5.equals(written.md5)) {
        await this.#files.remove(written.tempPath);
        throw new BadDigest();
      }
      await this.place(written.tempPath, file);
    } catch (err) {
      // The bucket was deleted (and its data area removed) while the body was being written.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.#assertBucket(bucket);
      throw err;
    }
    return this.commit({
      bucket,
      key: keyBuf,
      file,
      size: written.size,
      etag: written.md5.toString('hex'),
      options,
      eventName: EVENT_BY_VERB[eventName],
    });
  }

  /** Moves a synced temp body into place, journalled so a crash before its commit leaves no stray file. */
  async place(tempPath: string, file: string): Promise<void> {
    this.#sql.addOrphan.run(file);
    await this.#files.place(tempPath, file);
  }

  /** Commits a placed body's metadata (replacing any previous version), then publishes the event. */
  commit(commit: ObjectCommit): ObjectInfo {
    const { bucket, key, options } = commit;
    const lastModified = Date.now();
    const { old, event } = this.#db.transaction(() => {
      this.#assertBucket(bucket);
      const existing = this.#sql.object.get(bucket, key);
      this.#sql.upsertObject.run({
        bucket,
        key,
        size: commit.size,
        etag: commit.etag,
        lastModified,
        contentType: options.contentType || DEFAULT_CONTENT_TYPE,
        metadata:
          options.metadata && Object.keys(options.metadata).length > 0
            ? JSON.stringify(lowerKeys(options.metadata))
            : null,
        contentEncoding: options.contentEncoding ?? null,
        contentDisposition: options.contentDisposition ?? null,
        cacheControl: options.cacheControl ?? null,
        file: commit.file,
      });
      this.#sql.dropOrphan.run(commit.file);
      if (existing) this.#sql.addOrphan.run(existing.file);
      commit.alsoInTransaction?.();
      const recorded = this.#recordEvent({
        eventName: commit.eventName,
        bucket,
        key: key.toString('utf8'),
        size: commit.size,
        etag: commit.etag,
      });
      return { old: existing?.file, event: recorded };
    })();
    this.events.publish(event);
    if (old) this.releaseLater([old]);
    return toObjectInfo(this.#sql.object.get(bucket, key) as ObjectRow);
  }

  /** Deletes an object's metadata and publishes the event; true when it existed. Throws NoSuchBucket. */
  delete(bucket: string, key: string, keyBuf: Buffer): boolean {
    const { old, event } = this.#db.transaction(() => {
      this.#assertBucket(bucket);
      const existing = this.#sql.object.get(bucket, keyBuf);
      if (!existing) return { old: undefined, event: undefined };
      this.#sql.deleteObject.run(bucket, keyBuf);
      this.#sql.addOrphan.run(existing.file);
      return { old: existing.file, event: this.#recordEvent({ eventName: OBJECT_EVENT_NAMES.delete, bucket, key }) };
    })();
    if (!old || !event) return false;
    this.events.publish(event);
    this.releaseLater([old]);
    return true;
  }

  /** Unlinks the bodies a crash left journalled; returns how many there were. */
  async recover(): Promise<number> {
    const orphans = this.#sql.orphans.all().map((row) => row.file);
    await this.release(orphans);
    return orphans.length;
  }

  /** Waits for unlinks still in flight. */
  async drain(): Promise<void> {
    await Promise.all([...this.#releasing]);
  }

  /** Unlinks files in the background (drained by `drain`). */
  releaseLater(files: string[]): void {
    const pending = this.release(files).finally(() => this.#releasing.delete(pending));
    this.#releasing.add(pending);
  }

  /** Unlinks files that no row references any more, then forgets them. */
  async release(files: string[]): Promise<void> {
    for (const file of files) {
      try {
        await this.#files.remove(file);
        this.#sql.dropOrphan.run(file);
      } catch (err) {
        this.#log.warn('could not remove body file; will retry at start', { file, err });
      }
    }
  }

  #recordEvent(fields: Omit<ObjectEvent, 'sequencer' | 'time'>): ObjectEvent {
    this.#sequence += 1;
    this.#sql.setSequence.run(this.#sequence);
    const event: ObjectEvent = {
      ...fields,
      sequencer: this.#sequence.toString(16).toUpperCase().padStart(16, '0'),
      time: new Date(),
    };
    for (const listener of this.#listeners) listener(event);
    return event;
  }
}

/** Decodes a base64 Content-MD5; InvalidDigest unless it is 16 bytes. */
export function decodeMd5(contentMd5: string): Buffer {
  const digest = Buffer.from(contentMd5, 'base64');
  if (digest.length !== 16) throw new InvalidDigest();
  return digest;
}

/** The metadata a copy stores: the source's (COPY) or the request's (REPLACE). */
export function copyPutOptions(info: ObjectInfo, directive: 'COPY' | 'REPLACE', replacement: PutOptions): PutOptions {
  return directive === 'REPLACE'
    ? { ...replacement, contentMd5: undefined }
    : {
        contentType: info.contentType,
        metadata: info.metadata,
        contentEncoding: info.contentEncoding,
        contentDisposition: info.contentDisposition,
        cacheControl: info.cacheControl,
      };
}

function lowerKeys(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k.toLowerCase(), String(v)]));
}
