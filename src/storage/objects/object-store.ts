import { createHash } from 'node:crypto';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import type { BackgroundService, EngineContext } from '../../shared/context.js';
import { Topic } from '../../shared/events.js';
import type { Logger } from '../../shared/log.js';
import type { Db } from '../../state/db.js';
import {
  BadDigest,
  BucketAlreadyOwnedByYou,
  BucketNotEmpty,
  InvalidDigest,
  InvalidRequest,
  NoSuchBucket,
  NoSuchKey,
} from './errors.js';
import { FileBody } from './file-body.js';
import { BodyFiles } from './files.js';
import { ObjectListing } from './listing.js';
import { MultipartUploads } from './multipart.js';
import { assertBucketName, keyBytes } from './names.js';
import { parseRange } from './range.js';
import { migrateObjects, type ObjectRow, toObjectInfo } from './schema.js';
import {
  type BodyInput,
  type DeleteResult,
  type ListOptions,
  type ListPartsResult,
  type ListResult,
  type ListUploadsResult,
  OBJECT_EVENT_NAMES,
  type ObjectEvent,
  type ObjectEventName,
  type ObjectInfo,
  type ObjectRead,
  type PutOptions,
} from './types.js';

/** S3's largest object: 5 TiB. */
export const MAX_OBJECT_SIZE = 5 * 1024 ** 4;
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

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

/**
 * The local object store: S3 semantics over body files (written to a temp file, fsynced, renamed) and
 * metadata in SQLite. A reader never sees a partial object; an overwrite is all-or-nothing and readers of
 * the old body keep reading it. Keys never become file paths.
 */
export class ObjectStore implements BackgroundService {
  /** Every committed object event, published after its commit. */
  readonly events = new Topic<ObjectEvent>();
  #db: Db;
  #log: Logger;
  #files: BodyFiles;
  #listing: ObjectListing;
  #multipart: MultipartUploads;
  #commitListeners = new Set<(event: ObjectEvent) => void>();
  #sequence: number;
  #started?: Promise<void>;
  #releasing = new Set<Promise<void>>();
  #sql;

  constructor(context: EngineContext) {
    this.#db = context.db;
    this.#log = context.log.child({ component: 'objects' });
    migrateObjects(this.#db);
    this.#files = new BodyFiles(join(context.dataDir, 'objects'));
    this.#listing = new ObjectListing(this.#db);
    const db = this.#db;
    this.#sql = {
      bucket: db.prepare<[string], { name: string; created_at: number }>('SELECT * FROM s3_buckets WHERE name = ?'),
      buckets: db.prepare<[], { name: string; created_at: number }>('SELECT * FROM s3_buckets ORDER BY name'),
      insertBucket: db.prepare('INSERT INTO s3_buckets (name, created_at) VALUES (?, ?)'),
      deleteBucket: db.prepare('DELETE FROM s3_buckets WHERE name = ?'),
      anyObject: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM s3_objects WHERE bucket = ? LIMIT 1'),
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
    this.#multipart = new MultipartUploads(this.#db, this.#files, {
      assertBucket: (bucket) => this.#assertBucket(bucket),
      commit: (commit) => this.commitObject(commit),
      placeOrphanable: (tempPath, file) => this.placeBody(tempPath, file),
      releaseFiles: (files) => this.#release(files),
      releaseLater: (files) => this.#releaseLater(files),
    });
  }

  /** Removes what a crash left behind: temp files and bodies written but never committed, or replaced. */
  start(): Promise<void> {
    this.#started ??= (async () => {
      const buckets = this.listBuckets().map((b) => b.name);
      const strayBuckets = await this.#files.removeStrayBuckets(buckets);
      const tempFiles = await this.#files.clearTemp(buckets);
      const orphans = this.#sql.orphans.all().map((row) => row.file);
      await this.#release(orphans);
      if (strayBuckets + tempFiles + orphans.length > 0) {
        this.#log.info('recovered', { strayBuckets, tempFiles, orphanFiles: orphans.length });
      }
    })();
    return this.#started;
  }

  /** Waits for unlinks of replaced bodies still in flight (anything unfinished is redone at start). */
  async stop(): Promise<void> {
    await Promise.all([...this.#releasing]);
  }

  /** Creates a bucket. Throws InvalidBucketName or BucketAlreadyOwnedByYou. */
  createBucket(name: string): void {
    assertBucketName(name);
    if (this.#sql.bucket.get(name)) throw new BucketAlreadyOwnedByYou(name);
    this.#files.createBucket(name);
    this.#sql.insertBucket.run(name, Date.now());
  }

  /** Deletes an empty bucket (aborting its unfinished uploads). Throws NoSuchBucket or BucketNotEmpty. */
  deleteBucket(name: string): void {
    this.#db.transaction(() => {
      this.#assertBucket(name);
      if (this.#sql.anyObject.get(name)) throw new BucketNotEmpty(name);
      this.#multipart.dropBucket(name);
      this.#sql.deleteBucket.run(name);
    })();
    this.#files.removeBucket(name);
  }

  /** A bucket's name and creation time. Throws NoSuchBucket. */
  headBucket(name: string): { name: string; createdAt: Date } {
    const row = this.#sql.bucket.get(name);
    if (!row) throw new NoSuchBucket(name);
    return { name: row.name, createdAt: new Date(row.created_at) };
  }

  /** Every bucket, by name. */
  listBuckets(): Array<{ name: string; createdAt: Date }> {
    return this.#sql.buckets.all().map((row) => ({ name: row.name, createdAt: new Date(row.created_at) }));
  }

  /**
   * Stores an object, streaming the body to disk (never into memory); resolves once body and metadata are
   * durable. Throws NoSuchBucket, KeyTooLongError, InvalidArgument, BadDigest, InvalidDigest, EntityTooLarge.
   */
  async putObject(
    bucket: string,
    key: string,
    body: BodyInput,
    options: PutOptions = {},
    eventName: 'Put' | 'Post' | 'Copy' = 'Put',
  ): Promise<ObjectInfo> {
    const keyBuf = keyBytes(key);
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
      await this.placeBody(written.tempPath, file);
    } catch (err) {
      // The bucket was deleted (and its data area removed) while the body was being written.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.#assertBucket(bucket);
      throw err;
    }
    return this.commitObject({
      bucket,
      key: keyBuf,
      file,
      size: written.size,
      etag: written.md5.toString('hex'),
      options,
      eventName: EVENT_BY_VERB[eventName],
    });
  }

  /**
   * Opens an object for reading, optionally a byte range (raw `bytes=…` header). The body stream keeps
   * reading this version even if the key is overwritten meanwhile. Throws NoSuchBucket, NoSuchKey, InvalidRange.
   */
  async getObject(bucket: string, key: string, options: { range?: string } = {}): Promise<ObjectRead> {
    for (let attempt = 0; ; attempt++) {
      const row = this.#row(bucket, key);
      const range = parseRange(options.range, row.size);
      let fd: number;
      try {
        fd = openSync(this.#files.absolute(row.file), 'r');
      } catch (err) {
        // An overwrite committed and unlinked this body between our read of the row and the open: re-read.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 5) continue;
        throw err;
      }
      const body = range ? new FileBody(fd, range.start, range.end) : new FileBody(fd, 0, row.size - 1);
      return range ? { info: toObjectInfo(row), body, range } : { info: toObjectInfo(row), body };
    }
  }

  /** An object's info. Throws NoSuchBucket or NoSuchKey. */
  headObject(bucket: string, key: string): ObjectInfo {
    return toObjectInfo(this.#row(bucket, key));
  }

  /** Absolute path of an object's current body file, for zero-copy local readers. Throws NoSuchKey. */
  bodyPath(bucket: string, key: string): string {
    return this.#files.absolute(this.#row(bucket, key).file);
  }

  /** Deletes an object; true when it existed (deleting a missing key is not an error). Throws NoSuchBucket. */
  deleteObject(bucket: string, key: string): boolean {
    const keyBuf = keyBytes(key);
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
    this.#releaseLater([old]);
    return true;
  }

  /** Deletes many keys, reporting each (errors per key, never thrown except NoSuchBucket). */
  deleteObjects(bucket: string, keys: string[]): DeleteResult[] {
    this.#assertBucket(bucket);
    return keys.map((key) => {
      try {
        return { key, deleted: this.deleteObject(bucket, key) };
      } catch (err) {
        const { code, message } = err as { code?: string; message: string };
        return { key, deleted: false, error: { code: code ?? 'InternalError', message } };
      }
    });
  }

  /**
   * Copies an object. With metadataDirective COPY (default) the source's content type and metadata are kept;
   * REPLACE takes them from `options`. Copying an object onto itself unchanged is InvalidRequest.
   */
  async copyObject(
    source: { bucket: string; key: string },
    target: { bucket: string; key: string },
    options: { metadataDirective?: 'COPY' | 'REPLACE' } & PutOptions = {},
  ): Promise<ObjectInfo> {
    const { metadataDirective = 'COPY', ...replacement } = options;
    if (source.bucket === target.bucket && source.key === target.key && metadataDirective === 'COPY') {
      this.#row(source.bucket, source.key);
      throw new InvalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    keyBytes(target.key);
    this.#assertBucket(target.bucket);
    const { info, body } = await this.getObject(source.bucket, source.key);
    const putOptions: PutOptions =
      metadataDirective === 'REPLACE'
        ? { ...replacement, contentMd5: undefined }
        : {
            contentType: info.contentType,
            metadata: info.metadata,
            contentEncoding: info.contentEncoding,
            contentDisposition: info.contentDisposition,
            cacheControl: info.cacheControl,
          };
    try {
      return await this.putObject(target.bucket, target.key, body, putOptions, 'Copy');
    } finally {
      body.destroy();
    }
  }

  /** One page of a listing in UTF-8 byte order (see ListOptions). Throws NoSuchBucket. */
  listObjects(bucket: string, options: ListOptions = {}): ListResult {
    this.#assertBucket(bucket);
    return this.#listing.list(bucket, options);
  }

  /** Starts a multipart upload. Throws NoSuchBucket, KeyTooLongError. */
  createMultipartUpload(bucket: string, key: string, options: PutOptions = {}): { uploadId: string } {
    return this.#multipart.create(bucket, key, options);
  }

  /** Stores one part (1–10000, ≤ 5 GiB). Throws NoSuchUpload, InvalidArgument, BadDigest, EntityTooLarge. */
  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: BodyInput,
    options: { contentMd5?: string } = {},
  ): Promise<{ etag: string; size: number }> {
    const expectedMd5 = options.contentMd5 === undefined ? undefined : decodeMd5(options.contentMd5);
    return this.#multipart.uploadPart(bucket, key, uploadId, partNumber, body, expectedMd5);
  }

  /** Stores a part copied from (a byte range of) an existing object. */
  async uploadPartCopy(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    source: { bucket: string; key: string; range?: string },
  ): Promise<{ etag: string; size: number; lastModified: Date }> {
    const { body } = await this.getObject(source.bucket, source.key, source.range ? { range: source.range } : {});
    try {
      const part = await this.#multipart.uploadPart(bucket, key, uploadId, partNumber, body, undefined);
      return { ...part, lastModified: new Date() };
    } finally {
      body.destroy();
    }
  }

  /**
   * Assembles the listed parts into the object (streamed), ETag `md5(part digests)-N`.
   * Throws NoSuchUpload, InvalidPart, InvalidPartOrder, EntityTooSmall.
   */
  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: Array<{ partNumber: number; etag: string }>,
  ): Promise<ObjectInfo> {
    return this.#multipart.complete(bucket, key, uploadId, parts);
  }

  /** Drops an upload and its parts. Throws NoSuchUpload. */
  abortMultipartUpload(bucket: string, key: string, uploadId: string): void {
    this.#multipart.abort(bucket, key, uploadId);
  }

  /** One page of an upload's parts. Throws NoSuchUpload. */
  listParts(
    bucket: string,
    key: string,
    uploadId: string,
    options: { partNumberMarker?: number; maxParts?: number } = {},
  ): ListPartsResult {
    return this.#multipart.listParts(bucket, key, uploadId, options);
  }

  /** One page of the bucket's uploads in progress, by key then upload id. Throws NoSuchBucket. */
  listMultipartUploads(
    bucket: string,
    options: { prefix?: string; keyMarker?: string; uploadIdMarker?: string; maxUploads?: number } = {},
  ): ListUploadsResult {
    return this.#multipart.listUploads(bucket, options);
  }

  /**
   * Registers a listener run inside the metadata transaction of every object event, for writes that must
   * commit atomically with the object (the notification outbox). A throw rolls the object write back.
   */
  onCommit(listener: (event: ObjectEvent) => void): () => void {
    this.#commitListeners.add(listener);
    return () => this.#commitListeners.delete(listener);
  }

  /** Moves a synced temp body into place, journalled so a crash before its commit leaves no stray file. */
  async placeBody(tempPath: string, file: string): Promise<void> {
    this.#sql.addOrphan.run(file);
    await this.#files.place(tempPath, file);
  }

  /** Commits a placed body's metadata (replacing any previous version), then publishes the event. */
  commitObject(commit: ObjectCommit): ObjectInfo {
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
    if (old) this.#releaseLater([old]);
    return toObjectInfo(this.#sql.object.get(bucket, key) as ObjectRow);
  }

  #recordEvent(fields: Omit<ObjectEvent, 'sequencer' | 'time'>): ObjectEvent {
    this.#sequence += 1;
    this.#sql.setSequence.run(this.#sequence);
    const event: ObjectEvent = {
      ...fields,
      sequencer: this.#sequence.toString(16).toUpperCase().padStart(16, '0'),
      time: new Date(),
    };
    for (const listener of this.#commitListeners) listener(event);
    return event;
  }

  #assertBucket(bucket: string): void {
    if (!this.#sql.bucket.get(bucket)) throw new NoSuchBucket(bucket);
  }

  #row(bucket: string, key: string): ObjectRow {
    const keyBuf = keyBytes(key);
    const row = this.#sql.object.get(bucket, keyBuf);
    if (row) return row;
    this.#assertBucket(bucket);
    throw new NoSuchKey(key);
  }

  #releaseLater(files: string[]): void {
    const pending = this.#release(files).finally(() => this.#releasing.delete(pending));
    this.#releasing.add(pending);
  }

  /** Unlinks files that no row references any more, then forgets them. */
  async #release(files: string[]): Promise<void> {
    for (const file of files) {
      try {
        await this.#files.remove(file);
        this.#sql.dropOrphan.run(file);
      } catch (err) {
        this.#log.warn('could not remove body file; will retry at start', { file, err });
      }
    }
  }
}

const EVENT_BY_VERB = {
  Put: OBJECT_EVENT_NAMES.put,
  Post: OBJECT_EVENT_NAMES.post,
  Copy: OBJECT_EVENT_NAMES.copy,
} as const;

/** Decodes a base64 Content-MD5; InvalidDigest unless it is 16 bytes. */
function decodeMd5(contentMd5: string): Buffer {
  const digest = Buffer.from(contentMd5, 'base64');
  if (digest.length !== 16) throw new InvalidDigest();
  return digest;
}

function lowerKeys(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k.toLowerCase(), String(v)]));
}

/** Hex MD5 of a buffer (used for multipart ETags). */
export function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}
