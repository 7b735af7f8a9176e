/**
 * Object versions: a bucket's versioning state, and the noncurrent versions and delete markers of its
 * keys in `s3_versions`. The current version of a key, when it is an object, stays in `s3_objects`, so
 * reads and listings of current objects never look here; a key whose newest version is a delete marker
 * has no `s3_objects` row. Every method runs inside the caller's transaction.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../../state/db.js';
import { InvalidArgument } from './errors.js';
import { NULL_VERSION, OBJECT_COLUMNS, type ObjectRow, type VersionRow } from './schema.js';
import type { VersioningStatus } from './types.js';

const VERSION_ID = /^[A-Za-z0-9._-]{1,1024}$/;

/** The versioning state of buckets and the version rows of their keys. */
export class ObjectVersions {
  #status = new Map<string, VersioningStatus>();
  #sql;

  constructor(db: Db) {
    this.#sql = {
      statuses: db.prepare<[], { name: string; versioning: VersioningStatus }>(
        'SELECT name, versioning FROM s3_buckets WHERE versioning IS NOT NULL',
      ),
      setStatus: db.prepare('UPDATE s3_buckets SET versioning = ? WHERE name = ?'),
      nextSeq: db.prepare<[string, Buffer], { next: number }>(
        'SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM s3_versions WHERE bucket = ? AND object_key = ?',
      ),
      demote: db.prepare(
        `INSERT INTO s3_versions (seq, delete_marker, ${OBJECT_COLUMNS})
         SELECT ?, 0, ${OBJECT_COLUMNS} FROM s3_objects WHERE bucket = ? AND object_key = ?`,
      ),
      dropCurrent: db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND object_key = ?'),
      promote: db.prepare(
        `INSERT INTO s3_objects (${OBJECT_COLUMNS})
         SELECT ${OBJECT_COLUMNS} FROM s3_versions WHERE bucket = ? AND object_key = ? AND seq = ?`,
      ),
      insertMarker: db.prepare(
        `INSERT INTO s3_versions (bucket, object_key, seq, delete_marker, size, etag, last_modified, content_type,
           version_id, file)
         VALUES (?, ?, ?, 1, 0, '', ?, '', ?, '')`,
      ),
      newest: db.prepare<[string, Buffer], VersionRow>(
        'SELECT * FROM s3_versions WHERE bucket = ? AND object_key = ? ORDER BY seq DESC LIMIT 1',
      ),
      find: db.prepare<[string, Buffer, string | null], VersionRow>(
        'SELECT * FROM s3_versions WHERE bucket = ? AND object_key = ? AND version_id IS ?',
      ),
      remove: db.prepare('DELETE FROM s3_versions WHERE bucket = ? AND object_key = ? AND seq = ?'),
      setTags: db.prepare('UPDATE s3_versions SET tags = ? WHERE bucket = ? AND object_key = ? AND seq = ?'),
      anyInBucket: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM s3_versions WHERE bucket = ? LIMIT 1'),
    };
    for (const row of this.#sql.statuses.all()) this.#status.set(row.name, row.versioning);
  }

  /** A bucket's versioning state; undefined when it never had versioning. */
  status(bucket: string): VersioningStatus | undefined {
    return this.#status.get(bucket);
  }

  /** Sets a bucket's versioning state (the bucket exists: checked by the caller). */
  setStatus(bucket: string, status: VersioningStatus): void {
    this.#sql.setStatus.run(status, bucket);
    this.#status.set(bucket, status);
  }

  /** Forgets a deleted bucket's state. */
  forget(bucket: string): void {
    this.#status.delete(bucket);
  }

  /** Whether any noncurrent version or delete marker is left in the bucket. */
  anyInBucket(bucket: string): boolean {
    return this.#sql.anyInBucket.get(bucket) !== undefined;
  }

  /** Moves the current version of a key into the noncurrent versions (its body stays referenced). */
  demote(bucket: string, key: Buffer): void {
    this.#sql.demote.run(this.#nextSeq(bucket, key), bucket, key);
    this.#sql.dropCurrent.run(bucket, key);
  }

  /** Adds a delete marker as the newest version of a key. */
  addDeleteMarker(bucket: string, key: Buffer, versionId: string | null, time: number): void {
    this.#sql.insertMarker.run(bucket, key, this.#nextSeq(bucket, key), time, versionId);
  }

  /** Removes the noncurrent null version of a key, if there is one; returns its body file to release. */
  removeNullVersion(bucket: string, key: Buffer): VersionRow | undefined {
    const row = this.#sql.find.get(bucket, key, null);
    if (row) this.#sql.remove.run(bucket, key, row.seq);
    return row;
  }

  /** The noncurrent version (or delete marker) of a key with this id (null: the null version). */
  find(bucket: string, key: Buffer, versionId: string | null): VersionRow | undefined {
    return this.#sql.find.get(bucket, key, versionId);
  }

  /** The newest noncurrent version or delete marker of a key. */
  newest(bucket: string, key: Buffer): VersionRow | undefined {
    return this.#sql.newest.get(bucket, key);
  }

  /** Removes one noncurrent version row. */
  remove(row: VersionRow): void {
    this.#sql.remove.run(row.bucket, row.object_key, row.seq);
  }

  /** Replaces the tags of a noncurrent version. */
  setTags(row: VersionRow, tags: string | null): void {
    this.#sql.setTags.run(tags, row.bucket, row.object_key, row.seq);
  }

  /** When a key has no current object, makes its newest version current unless that is a delete marker. */
  promoteNewest(bucket: string, key: Buffer): void {
    const newest = this.newest(bucket, key);
    if (!newest || newest.delete_marker) return;
    this.#sql.promote.run(bucket, key, newest.seq);
    this.remove(newest);
  }

  #nextSeq(bucket: string, key: Buffer): number {
    return this.#sql.nextSeq.get(bucket, key)?.next ?? 1;
  }
}

/** A fresh version id: 32 URL-safe characters, as S3's are. */
export function newVersionId(): string {
  return randomBytes(24).toString('base64url');
}

/** The stored form of a version id from a request ("null" is the null version). Throws InvalidArgument. */
export function storedVersionId(versionId: string): string | null {
  if (versionId === NULL_VERSION) return null;
  if (!VERSION_ID.test(versionId)) throw new InvalidArgument('Invalid version id specified');
  return versionId;
}

/** Whether a current row is the version a request names. */
export function isVersion(row: ObjectRow, versionId: string | null): boolean {
  return row.version_id === versionId;
}
