import { join } from 'node:path';
import type { BackgroundService, EngineContext } from '../../shared/context.js';
import type { Topic } from '../../shared/events.js';
import type { Logger } from '../../shared/log.js';
import type { Db } from '../../state/db.js';
import { BucketAlreadyOwnedByYou, BucketNotEmpty, InvalidRequest, NoSuchBucket, NoSuchKey } from './errors.js';
import { BodyFiles } from './files.js';
import { ObjectListing } from './listing.js';
import { MultipartUploads } from './multipart.js';
import { assertBucketName, keyBytes } from './names.js';
import { openObject } from './reads.js';
import { migrateObjects, type ObjectRow, toObjectInfo } from './schema.js';
import type {
  BodyInput,
  DeleteResult,
  ListOptions,
  ListPartsResult,
  ListResult,
  ListUploadsResult,
  ObjectEvent,
  ObjectInfo,
  ObjectRead,
  PutOptions,
} from './types.js';
import { copyPutOptions, decodeMd5, type ObjectCommit, ObjectWrites } from './writes.js';

export { MAX_OBJECT_SIZE, type ObjectCommit } from './writes.js';

/**
 * The local object store: S3 semantics over body files (written to a temp file, fsynced, renamed) and
 * metadata in SQLite. A reader never sees a partial object; an overwrite is all-or-nothing and readers of
 * the old body keep reading it. Keys never become file paths.
 */
export class ObjectStore implements BackgroundService {
  /** Every committed object event, published after its commit. */
  readonly events: Topic<ObjectEvent>;
  #db: Db;
  #log: Logger;
  #files: BodyFiles;
  #listing: ObjectListing;
  #multipart: MultipartUploads;
  #writes: ObjectWrites;
  #started?: Promise<void>;
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
    };
    this.#writes = new ObjectWrites(db, this.#files, this.#log, (bucket) => this.#assertBucket(bucket));
    this.events = this.#writes.events;
    this.#multipart = new MultipartUploads(this.#db, this.#files, {
      assertBucket: (bucket) => this.#assertBucket(bucket),
      commit: (commit) => this.commitObject(commit),
      placeOrphanable: (tempPath, file) => this.placeBody(tempPath, file),
      releaseFiles: (files) => this.#writes.release(files),
      releaseLater: (files) => this.#writes.releaseLater(files),
    });
  }

  /** Removes what a crash left behind: temp files and bodies written but never committed, or replaced. */
  start(): Promise<void> {
    this.#started ??= (async () => {
      const buckets = this.listBuckets().map((b) => b.name);
      const strayBuckets = await this.#files.removeStrayBuckets(buckets);
      const tempFiles = await this.#files.clearTemp(buckets);
      const orphanFiles = await this.#writes.recover();
      if (strayBuckets + tempFiles + orphanFiles > 0) {
        this.#log.info('recovered', { strayBuckets, tempFiles, orphanFiles });
      }
    })();
    return this.#started;
  }

  /** Waits for unlinks of replaced bodies still in flight (anything unfinished is redone at start). */
  async stop(): Promise<void> {
    await this.#writes.drain();
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
    return this.#writes.put(bucket, keyBytes(key), body, options, eventName);
  }

  /**
   * Opens an object for reading, optionally a byte range (raw `bytes=…` header). The body stream keeps
   * reading this version even if the key is overwritten meanwhile. Throws NoSuchBucket, NoSuchKey, InvalidRange.
   */
  async getObject(bucket: string, key: string, options: { range?: string } = {}): Promise<ObjectRead> {
    return openObject(this.#files, () => this.#row(bucket, key), options.range);
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
    return this.#writes.delete(bucket, key, keyBytes(key));
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
    const putOptions = copyPutOptions(info, metadataDirective, replacement);
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
    return this.#writes.onCommit(listener);
  }

  /** Moves a synced temp body into place, journalled so a crash before its commit leaves no stray file. */
  async placeBody(tempPath: string, file: string): Promise<void> {
    await this.#writes.place(tempPath, file);
  }

  /** Commits a placed body's metadata (replacing any previous version), then publishes the event. */
  commitObject(commit: ObjectCommit): ObjectInfo {
    return this.#writes.commit(commit);
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
}
