import { join } from 'node:path';
import type { BackgroundService, EngineContext } from '../../shared/context.js';
import type { Topic } from '../../shared/events.js';
import type { Logger } from '../../shared/log.js';
import type { Db } from '../../state/db.js';
import {
  BucketAlreadyOwnedByYou,
  BucketNotEmpty,
  DeleteMarkerVersion,
  InvalidRequest,
  NoSuchBucket,
  NoSuchKey,
  NoSuchVersion,
} from './errors.js';
import { BodyFiles } from './files.js';
import { ObjectListing } from './listing.js';
import { MultipartUploads } from './multipart.js';
import { assertBucketName, keyBytes } from './names.js';
import { openObject, partRange } from './reads.js';
import { migrateObjects, NULL_VERSION, type ObjectRow, toObjectInfo, type VersionRow } from './schema.js';
import { assertTags, decodeTags, encodeTags } from './tags.js';
import type {
  BodyInput,
  DeleteOutcome,
  DeleteResult,
  ListOptions,
  ListPartsResult,
  ListResult,
  ListUploadsResult,
  ListVersionsOptions,
  ListVersionsResult,
  ObjectEvent,
  ObjectEventName,
  ObjectInfo,
  ObjectRead,
  PutOptions,
  TagSet,
  VersioningStatus,
} from './types.js';
import { OBJECT_EVENT_NAMES } from './types.js';
import { listVersions } from './version-listing.js';
import { ObjectVersions, storedVersionId } from './versions.js';
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
  #versions: ObjectVersions;
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
      file: db
        .prepare<[string, Buffer], string>('SELECT file FROM s3_objects WHERE bucket = ? AND object_key = ?')
        .pluck(),
      setTags: db.prepare('UPDATE s3_objects SET tags = ? WHERE bucket = ? AND object_key = ?'),
    };
    this.#versions = new ObjectVersions(db);
    this.#writes = new ObjectWrites(db, this.#files, this.#log, (bucket) => this.#assertBucket(bucket), this.#versions);
    this.events = this.#writes.events;
    this.#multipart = new MultipartUploads(this.#db, this.#files, {
      assertBucket: (bucket) => this.#assertBucket(bucket),
      commit: (commit) => this.commitObject(commit),
      current: (bucket, key) => {
        const row = this.#sql.object.get(bucket, keyBytes(key));
        return row ? toObjectInfo(row, this.#versions.status(bucket) !== undefined) : undefined;
      },
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
      if (this.#sql.anyObject.get(name) || this.#versions.anyInBucket(name)) throw new BucketNotEmpty(name);
      this.#multipart.dropBucket(name);
      this.#sql.deleteBucket.run(name);
    })();
    this.#versions.forget(name);
    this.#files.removeBucket(name);
  }

  /** A bucket's name and creation time. Throws NoSuchBucket. */
  headBucket(name: string): { name: string; createdAt: Date } {
    const row = this.#sql.bucket.get(name);
    if (!row) throw new NoSuchBucket(name);
    return { name: row.name, createdAt: new Date(row.created_at) };
  }

  /** Turns a bucket's versioning on (Enabled) or off (Suspended). Throws NoSuchBucket. */
  putBucketVersioning(name: string, status: VersioningStatus): void {
    this.#db.transaction(() => {
      this.#assertBucket(name);
      this.#versions.setStatus(name, status);
    })();
  }

  /** A bucket's versioning state; undefined when it never had versioning. Throws NoSuchBucket. */
  getBucketVersioning(name: string): VersioningStatus | undefined {
    this.#assertBucket(name);
    return this.#versions.status(name);
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
   * Opens an object (its current version, or `versionId`) for reading, optionally a byte range (raw
   * `bytes=…` header) or one part (`partNumber`). The body stream keeps reading this version even if the
   * key is overwritten meanwhile. Throws NoSuchBucket, NoSuchKey, NoSuchVersion, InvalidRange, InvalidPartNumber.
   */
  async getObject(
    bucket: string,
    key: string,
    options: { range?: string; versionId?: string; partNumber?: number } = {},
  ): Promise<ObjectRead> {
    const versioned = this.#versions.status(bucket) !== undefined;
    const { partNumber } = options;
    const range = partNumber === undefined ? options.range : (row: ObjectRow) => partRange(row, partNumber);
    return openObject(this.#files, () => this.#versionRow(bucket, key, options.versionId), range, versioned);
  }

  /** An object's info (current version, or `versionId`). Throws NoSuchBucket, NoSuchKey, NoSuchVersion. */
  headObject(bucket: string, key: string, options: { versionId?: string } = {}): ObjectInfo {
    return toObjectInfo(this.#versionRow(bucket, key, options.versionId), this.#versions.status(bucket) !== undefined);
  }

  /** An object's tags. Throws NoSuchBucket, NoSuchKey, NoSuchVersion. */
  getObjectTagging(
    bucket: string,
    key: string,
    options: { versionId?: string } = {},
  ): { tags: TagSet; versionId?: string } {
    const row = this.#versionRow(bucket, key, options.versionId);
    return { tags: decodeTags(row.tags), ...this.#reportedVersion(bucket, row) };
  }

  /**
   * Replaces an object's tags (an empty set removes them) and records `ObjectTagging:Put`. Throws
   * InvalidTag, NoSuchKey, NoSuchVersion.
   */
  putObjectTagging(
    bucket: string,
    key: string,
    tags: TagSet,
    options: { versionId?: string } = {},
  ): { versionId?: string } {
    assertTags(tags);
    return this.#setTags(bucket, key, tags, options.versionId, OBJECT_EVENT_NAMES.taggingPut);
  }

  /** Removes an object's tags and records `ObjectTagging:Delete`. Throws NoSuchKey, NoSuchVersion. */
  deleteObjectTagging(bucket: string, key: string, options: { versionId?: string } = {}): { versionId?: string } {
    return this.#setTags(bucket, key, [], options.versionId, OBJECT_EVENT_NAMES.taggingDelete);
  }

  #setTags(
    bucket: string,
    key: string,
    tags: TagSet,
    versionId: string | undefined,
    eventName: ObjectEventName,
  ): { versionId?: string } {
    const { reported, event } = this.#db.transaction(() => {
      const row = this.#versionRow(bucket, key, versionId);
      const stored = encodeTags(tags);
      if ('seq' in row) this.#versions.setTags(row as VersionRow, stored);
      else this.#sql.setTags.run(stored, bucket, row.object_key);
      const reported = this.#reportedVersion(bucket, row);
      const event = this.#writes.recordInTransaction({ eventName, bucket, key, etag: row.etag, ...reported });
      return { reported, event };
    })();
    this.#writes.events.publish(event);
    return reported;
  }

  /** Absolute path of an object's current body file, for zero-copy local readers. Throws NoSuchKey. */
  bodyPath(bucket: string, key: string): string {
    return this.#files.absolute(this.#row(bucket, key).file);
  }

  /**
   * Absolute paths of the current body files of many keys of one bucket, read in one transaction
   * (undefined for a key that does not exist): a job's grant of thousands of small objects spent
   * more in one full-row query per key than in linking the files. Throws NoSuchBucket.
   */
  bodyPaths(bucket: string, keys: readonly string[]): Array<string | undefined> {
    this.#assertBucket(bucket);
    return this.#db.transaction(() =>
      keys.map((key) => {
        const file = this.#sql.file.get(bucket, keyBytes(key));
        return file === undefined ? undefined : this.#files.absolute(file);
      }),
    )();
  }

  /** Deletes an object; true when it existed (deleting a missing key is not an error). Throws NoSuchBucket. */
  deleteObject(bucket: string, key: string): boolean {
    return this.#writes.delete(bucket, key, keyBytes(key)).existed;
  }

  /**
   * Deletes a key as S3 does in the bucket's versioning state: with versioning a delete marker hides the
   * object; with `versionId` that version goes for good. Throws NoSuchBucket, InvalidArgument.
   */
  deleteObjectVersion(bucket: string, key: string, versionId?: string): DeleteOutcome {
    const stored = versionId === undefined ? undefined : storedVersionId(versionId);
    return this.#writes.delete(bucket, key, keyBytes(key), stored);
  }

  /** Deletes many keys (or versions), reporting each (errors per key, never thrown except NoSuchBucket). */
  deleteObjects(bucket: string, keys: Array<string | { key: string; versionId?: string }>): DeleteResult[] {
    this.#assertBucket(bucket);
    return keys.map((entry) => {
      const { key, versionId } = typeof entry === 'string' ? { key: entry, versionId: undefined } : entry;
      try {
        const outcome = this.deleteObjectVersion(bucket, key, versionId);
        const result: DeleteResult = { key, deleted: outcome.existed };
        if (versionId !== undefined) result.versionId = versionId;
        if (outcome.deleteMarker) {
          result.deleteMarker = true;
          if (outcome.versionId !== undefined) result.deleteMarkerVersionId = outcome.versionId;
        }
        return result;
      } catch (err) {
        const { code, message } = err as { code?: string; message: string };
        return {
          key,
          deleted: false,
          ...(versionId !== undefined ? { versionId } : {}),
          error: { code: code ?? 'InternalError', message },
        };
      }
    });
  }

  /**
   * Copies an object. With metadataDirective COPY (default) the source's content type and metadata are kept;
   * REPLACE takes them from `options`. Copying an object onto itself unchanged is InvalidRequest.
   */
  async copyObject(
    source: { bucket: string; key: string; versionId?: string },
    target: { bucket: string; key: string },
    options: { metadataDirective?: 'COPY' | 'REPLACE'; taggingDirective?: 'COPY' | 'REPLACE' } & PutOptions = {},
  ): Promise<ObjectInfo> {
    const { metadataDirective = 'COPY', taggingDirective = 'COPY', ...replacement } = options;
    const sameObject = source.bucket === target.bucket && source.key === target.key && !source.versionId;
    if (sameObject && metadataDirective === 'COPY' && taggingDirective === 'COPY') {
      this.#row(source.bucket, source.key);
      throw new InvalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    keyBytes(target.key);
    this.#assertBucket(target.bucket);
    const read = source.versionId ? { versionId: source.versionId } : {};
    const { info, body } = await this.getObject(source.bucket, source.key, read);
    const putOptions = copyPutOptions(info, metadataDirective, replacement);
    putOptions.tags =
      taggingDirective === 'COPY' ? this.getObjectTagging(source.bucket, source.key, read).tags : replacement.tags;
    try {
      return await this.putObject(target.bucket, target.key, body, putOptions, 'Copy');
    } finally {
      body.destroy();
    }
  }

  /**
   * One page of every version and delete marker, by key then newest first (see ListVersionsOptions).
   * Throws NoSuchBucket, InvalidArgument.
   */
  listObjectVersions(bucket: string, options: ListVersionsOptions = {}): ListVersionsResult {
    this.#assertBucket(bucket);
    return this.#db.transaction(() => listVersions(this.#db, bucket, options))();
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
    source: { bucket: string; key: string; range?: string; versionId?: string },
  ): Promise<{ etag: string; size: number; lastModified: Date }> {
    const { body } = await this.getObject(source.bucket, source.key, {
      ...(source.range ? { range: source.range } : {}),
      ...(source.versionId ? { versionId: source.versionId } : {}),
    });
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
    const newest = this.#versions.status(bucket) !== undefined ? this.#versions.newest(bucket, keyBuf) : undefined;
    if (newest?.delete_marker) throw new NoSuchKey(key, { versionId: newest.version_id ?? NULL_VERSION });
    throw new NoSuchKey(key);
  }

  /** The row of one version of a key (the current one without `versionId`). */
  #versionRow(bucket: string, key: string, versionId: string | undefined): ObjectRow {
    if (versionId === undefined) return this.#row(bucket, key);
    const keyBuf = keyBytes(key);
    const stored = storedVersionId(versionId);
    const current = this.#sql.object.get(bucket, keyBuf);
    if (current && current.version_id === stored) return current;
    const row = this.#versions.find(bucket, keyBuf, stored);
    if (row?.delete_marker) throw new DeleteMarkerVersion(versionId);
    if (row) return row;
    this.#assertBucket(bucket);
    throw new NoSuchVersion(versionId);
  }

  #reportedVersion(bucket: string, row: ObjectRow): { versionId?: string } {
    if (row.version_id !== null) return { versionId: row.version_id };
    return this.#versions.status(bucket) !== undefined ? { versionId: NULL_VERSION } : {};
  }
}
