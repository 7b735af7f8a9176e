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
import { NULL_VERSION, type ObjectRow, toObjectInfo } from './schema.js';
import { encodeTags } from './tags.js';
import {
  type BodyInput,
  type DeleteOutcome,
  OBJECT_EVENT_NAMES,
  type ObjectEvent,
  type ObjectEventName,
  type ObjectInfo,
  type PutOptions,
} from './types.js';
import { isVersion, newVersionId, type ObjectVersions } from './versions.js';

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
  /** Sizes of the parts a multipart upload assembled the body from. */
  partSizes?: number[];
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
  #versions: ObjectVersions;
  #listeners = new Set<(event: ObjectEvent) => void>();
  #sequence: number;
  #releasing = new Set<Promise<void>>();
  #sql;

  constructor(db: Db, files: BodyFiles, log: Logger, assertBucket: (bucket: string) => void, versions: ObjectVersions) {
    this.#versions = versions;
    this.#db = db;
    this.#files = files;
    this.#log = log;
    this.#assertBucket = assertBucket;
    this.#sql = {
      object: db.prepare<[string, Buffer], ObjectRow>('SELECT * FROM s3_objects WHERE bucket = ? AND object_key = ?'),
      upsertObject: db.prepare(
        `INSERT OR REPLACE INTO s3_objects (bucket, object_key, size, etag, last_modified, content_type, metadata,
           content_encoding, content_disposition, cache_control, content_language, expires, tags, parts, version_id,
           file)
         VALUES (@bucket, @key, @size, @etag, @lastModified, @contentType, @metadata, @contentEncoding,
           @contentDisposition, @cacheControl, @contentLanguage, @expires, @tags, @parts, @versionId, @file)`,
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

  /**
   * Commits a placed body's metadata, then publishes the event. Without versioning it replaces the key's
   * object; with versioning Enabled the object it replaces becomes a noncurrent version; Suspended writes
   * the null version (replacing any earlier null version, current or not).
   */
  commit(commit: ObjectCommit): ObjectInfo {
    const { bucket, key, options } = commit;
    const lastModified = Date.now();
    const { released, event } = this.#db.transaction(() => {
      this.#assertBucket(bucket);
      const status = this.#versions.status(bucket);
      const released: string[] = [];
      const existing = this.#sql.object.get(bucket, key);
      let versionId: string | null = null;
      if (status === 'Enabled') versionId = newVersionId();
      if (status === 'Suspended') {
        const oldNull = this.#versions.removeNullVersion(bucket, key);
        if (oldNull?.file) released.push(oldNull.file);
      }
      // Enabled keeps what it replaces; Suspended replaces the null version and keeps any other.
      const keep = status === 'Enabled' || (status === 'Suspended' && existing && !isVersion(existing, null));
      if (existing && keep) this.#versions.demote(bucket, key);
      else if (existing) released.push(existing.file);
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
        contentLanguage: options.contentLanguage ?? null,
        expires: options.expires ?? null,
        tags: encodeTags(options.tags),
        parts: commit.partSizes ? JSON.stringify(commit.partSizes) : null,
        versionId,
        file: commit.file,
      });
      this.#sql.dropOrphan.run(commit.file);
      for (const file of released) this.#sql.addOrphan.run(file);
      commit.alsoInTransaction?.();
      const recorded = this.#recordEvent({
        eventName: commit.eventName,
        bucket,
        key: key.toString('utf8'),
        size: commit.size,
        etag: commit.etag,
        ...(status !== undefined ? { versionId: versionId ?? NULL_VERSION } : {}),
      });
      return { released, event: recorded };
    })();
    this.events.publish(event);
    if (released.length > 0) this.releaseLater(released);
    const row = this.#sql.object.get(bucket, key) as ObjectRow;
    return toObjectInfo(row, this.#versions.status(bucket) !== undefined);
  }

  /**
   * Deletes a key as S3 does. Without versioning the object goes; with versioning a delete marker is
   * added (the object it hides stays as a noncurrent version; Suspended replaces the null version).
   * With `versionId` that one version goes for good, and the newest remaining one becomes current.
   * Throws NoSuchBucket.
   */
  delete(bucket: string, key: string, keyBuf: Buffer, versionId?: string | null): DeleteOutcome {
    const { released, event, outcome } = this.#db.transaction(() => {
      this.#assertBucket(bucket);
      const result = this.#deleteInTransaction(bucket, key, keyBuf, versionId);
      for (const file of result.released) this.#sql.addOrphan.run(file);
      return result;
    })();
    if (event) this.events.publish(event);
    if (released.length > 0) this.releaseLater(released);
    return outcome;
  }

  #deleteInTransaction(
    bucket: string,
    key: string,
    keyBuf: Buffer,
    versionId: string | null | undefined,
  ): { released: string[]; event?: ObjectEvent; outcome: DeleteOutcome } {
    const status = this.#versions.status(bucket);
    if (versionId !== undefined) return this.#deleteVersion(bucket, key, keyBuf, versionId, status !== undefined);
    const existing = this.#sql.object.get(bucket, keyBuf);
    if (status === undefined) {
      if (!existing) return { released: [], outcome: { existed: false, deleteMarker: false } };
      this.#sql.deleteObject.run(bucket, keyBuf);
      const event = this.#recordEvent({ eventName: OBJECT_EVENT_NAMES.delete, bucket, key });
      return { released: [existing.file], event, outcome: { existed: true, deleteMarker: false } };
    }
    const released: string[] = [];
    const markerId = status === 'Enabled' ? newVersionId() : null;
    if (status === 'Suspended') {
      const oldNull = this.#versions.removeNullVersion(bucket, keyBuf);
      if (oldNull?.file) released.push(oldNull.file);
    }
    if (existing && status === 'Suspended' && isVersion(existing, null)) {
      this.#sql.deleteObject.run(bucket, keyBuf);
      released.push(existing.file);
    } else if (existing) {
      this.#versions.demote(bucket, keyBuf);
    }
    this.#versions.addDeleteMarker(bucket, keyBuf, markerId, Date.now());
    const reported = markerId ?? NULL_VERSION;
    const event = this.#recordEvent({
      eventName: OBJECT_EVENT_NAMES.deleteMarkerCreated,
      bucket,
      key,
      versionId: reported,
    });
    return { released, event, outcome: { existed: true, deleteMarker: true, versionId: reported } };
  }

  #deleteVersion(
    bucket: string,
    key: string,
    keyBuf: Buffer,
    versionId: string | null,
    versioned: boolean,
  ): { released: string[]; event?: ObjectEvent; outcome: DeleteOutcome } {
    const reported = versionId ?? NULL_VERSION;
    const existing = this.#sql.object.get(bucket, keyBuf);
    let released: string[];
    let deleteMarker = false;
    if (existing && isVersion(existing, versionId)) {
      this.#sql.deleteObject.run(bucket, keyBuf);
      released = [existing.file];
    } else {
      const row = this.#versions.find(bucket, keyBuf, versionId);
      if (!row) return { released: [], outcome: { existed: false, deleteMarker: false, versionId: reported } };
      this.#versions.remove(row);
      deleteMarker = row.delete_marker === 1;
      released = deleteMarker ? [] : [row.file];
    }
    if (!this.#sql.object.get(bucket, keyBuf)) this.#versions.promoteNewest(bucket, keyBuf);
    const event = this.#recordEvent({
      eventName: OBJECT_EVENT_NAMES.delete,
      bucket,
      key,
      ...(versioned || versionId !== null ? { versionId: reported } : {}),
    });
    return { released, event, outcome: { existed: true, deleteMarker, versionId: reported } };
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

  /**
   * Records an event that changes no body (tags put or deleted) inside the caller's metadata
   * transaction, so its listeners (notifications) commit with it; publish it on `events` after commit.
   */
  recordInTransaction(fields: Omit<ObjectEvent, 'sequencer' | 'time'>): ObjectEvent {
    return this.#recordEvent(fields);
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
        contentLanguage: info.contentLanguage,
        expires: info.expires,
      };
}

function lowerKeys(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k.toLowerCase(), String(v)]));
}
