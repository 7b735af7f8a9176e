import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Db } from '../../state/db.js';
import {
  BadDigest,
  EntityTooLarge,
  EntityTooSmall,
  InvalidArgument,
  InvalidPart,
  InvalidPartOrder,
  NoSuchUpload,
} from './errors.js';
import type { BodyFiles } from './files.js';
import { keyBytes, prefixUpperBound } from './names.js';
import {
  type BodyInput,
  type ListPartsResult,
  type ListUploadsResult,
  OBJECT_EVENT_NAMES,
  type ObjectInfo,
  type PutOptions,
} from './types.js';
import { MAX_OBJECT_SIZE, type ObjectCommit } from './writes.js';

/** S3's limits for parts. */
export const MAX_PART_SIZE = 5 * 1024 ** 3;
export const MIN_PART_SIZE = 5 * 1024 ** 2;
const MAX_PART_NUMBER = 10_000;
/** How long a completed upload is remembered, so that completing it again answers as the first time. */
const COMPLETED_KEPT_MS = 24 * 60 * 60 * 1000;

interface UploadRow {
  upload_id: string;
  bucket: string;
  object_key: Buffer;
  initiated: number;
  options: string;
}
interface PartRow {
  upload_id: string;
  part_number: number;
  size: number;
  md5: string;
  last_modified: number;
  file: string;
}

interface UploadsPageParams {
  bucket: string;
  from: Buffer;
  end: Buffer;
  keyMarker: Buffer;
  uploadMarker: string;
  limit: number;
}

/** What the multipart module needs from the store that owns it. */
export interface MultipartHost {
  assertBucket(bucket: string): void;
  commit(commit: ObjectCommit): ObjectInfo;
  /** The key's current object, if any. */
  current(bucket: string, key: string): ObjectInfo | undefined;
  placeOrphanable(tempPath: string, file: string): Promise<void>;
  releaseFiles(files: string[]): Promise<void>;
  releaseLater(files: string[]): void;
}

/** Multipart uploads: parts are files under the bucket's `uploads/<id>/`; complete concatenates them. */
export class MultipartUploads {
  #db: Db;
  #files: BodyFiles;
  #host: MultipartHost;
  #sql;

  constructor(db: Db, files: BodyFiles, host: MultipartHost) {
    this.#db = db;
    this.#files = files;
    this.#host = host;
    this.#sql = {
      insertUpload: db.prepare(
        'INSERT INTO s3_uploads (upload_id, bucket, object_key, initiated, options) VALUES (?, ?, ?, ?, ?)',
      ),
      upload: db.prepare<[string], UploadRow>('SELECT * FROM s3_uploads WHERE upload_id = ?'),
      deleteUpload: db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?'),
      part: db.prepare<[string, number], PartRow>('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number = ?'),
      parts: db.prepare<[string], PartRow>('SELECT * FROM s3_parts WHERE upload_id = ? ORDER BY part_number'),
      partsPage: db.prepare<[string, number, number], PartRow>(
        'SELECT * FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?',
      ),
      upsertPart: db.prepare(
        'INSERT OR REPLACE INTO s3_parts (upload_id, part_number, size, md5, last_modified, file) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      deleteParts: db.prepare('DELETE FROM s3_parts WHERE upload_id = ?'),
      bucketUploads: db.prepare<[string], UploadRow>('SELECT * FROM s3_uploads WHERE bucket = ?'),
      uploadsPage: db.prepare<[UploadsPageParams], UploadRow>(
        `SELECT * FROM s3_uploads WHERE bucket = @bucket AND object_key >= @from AND object_key < @end
           AND (object_key > @keyMarker OR (object_key = @keyMarker AND upload_id > @uploadMarker))
         ORDER BY object_key, upload_id LIMIT @limit`,
      ),
      addOrphan: db.prepare('INSERT OR IGNORE INTO s3_orphan_files (file) VALUES (?)'),
      recordCompleted: db.prepare(
        `INSERT OR REPLACE INTO s3_completed_uploads (upload_id, bucket, object_key, etag, version_id, completed_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      completed: db.prepare<[string], { bucket: string; object_key: Buffer; etag: string; version_id: string | null }>(
        'SELECT * FROM s3_completed_uploads WHERE upload_id = ?',
      ),
      dropCompleted: db.prepare('DELETE FROM s3_completed_uploads WHERE bucket = ?'),
      pruneCompleted: db.prepare('DELETE FROM s3_completed_uploads WHERE completed_at < ?'),
      dropOrphan: db.prepare('DELETE FROM s3_orphan_files WHERE file = ?'),
    };
  }

  create(bucket: string, key: string, options: PutOptions): { uploadId: string } {
    const keyBuf = keyBytes(key);
    this.#host.assertBucket(bucket);
    const uploadId = randomBytes(24).toString('base64url');
    const { contentMd5: _ignored, ...kept } = options;
    this.#sql.insertUpload.run(uploadId, bucket, keyBuf, Date.now(), JSON.stringify(kept));
    return { uploadId };
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: BodyInput,
    expectedMd5: Buffer | undefined,
  ): Promise<{ etag: string; size: number }> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw new InvalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`);
    }
    this.#upload(bucket, key, uploadId);
    const written = await this.#files.writeTemp(bucket, body, MAX_PART_SIZE);
    if (expectedMd5 && !expectedMd5.equals(written.md5)) {
      await this.#files.remove(written.tempPath);
      throw new BadDigest();
    }
    const file = this.#files.newPartFile(bucket, uploadId, partNumber);
    await this.#host.placeOrphanable(written.tempPath, file);
    const md5 = written.md5.toString('hex');
    const replaced = this.#db.transaction(() => {
      this.#upload(bucket, key, uploadId);
      const old = this.#sql.part.get(uploadId, partNumber);
      this.#sql.upsertPart.run(uploadId, partNumber, written.size, md5, Date.now(), file);
      this.#sql.dropOrphan.run(file);
      if (old) this.#sql.addOrphan.run(old.file);
      return old?.file;
    })();
    if (replaced) await this.#host.releaseFiles([replaced]);
    return { etag: `"${md5}"`, size: written.size };
  }

  /**
   * Assembles the listed parts into the object. Completing an upload that was already completed answers
   * as the first completion did, while the object it wrote is still the key's current version.
   */
  async complete(
    bucket: string,
    key: string,
    uploadId: string,
    requested: Array<{ partNumber: number; etag: string }>,
  ): Promise<ObjectInfo> {
    const done = this.#sql.completed.get(uploadId);
    if (done && done.bucket === bucket && done.object_key.toString('utf8') === key && !this.#sql.upload.get(uploadId)) {
      const current = this.#host.current(bucket, key);
      if (current && current.etag === `"${done.etag}"`) return current;
      throw new NoSuchUpload(uploadId);
    }
    const upload = this.#upload(bucket, key, uploadId);
    if (requested.length === 0) throw new InvalidArgument('You must specify at least one part');
    const stored = new Map(this.#sql.parts.all(uploadId).map((row) => [row.part_number, row]));
    const chosen: PartRow[] = [];
    for (const [i, { partNumber, etag }] of requested.entries()) {
      if (i > 0 && partNumber <= (requested[i - 1]?.partNumber ?? 0)) throw new InvalidPartOrder();
      const part = stored.get(partNumber);
      if (!part || unquote(etag) !== part.md5) throw new InvalidPart(partNumber);
      chosen.push(part);
    }
    chosen.forEach((part, i) => {
      if (i < chosen.length - 1 && part.size < MIN_PART_SIZE) throw new EntityTooSmall();
    });
    const total = chosen.reduce((sum, part) => sum + part.size, 0);
    if (total > MAX_OBJECT_SIZE) throw new EntityTooLarge(MAX_OBJECT_SIZE);
    const digests = Buffer.concat(chosen.map((part) => Buffer.from(part.md5, 'hex')));
    const etag = `${createHash('md5').update(digests).digest('hex')}-${chosen.length}`;

    const written = await this.#files.writeTemp(
      bucket,
      concatenated(chosen.map((p) => this.#files.absolute(p.file))),
      MAX_OBJECT_SIZE,
    );
    const file = this.#files.newBodyFile(bucket);
    await this.#host.placeOrphanable(written.tempPath, file);
    const partFiles = [...stored.values()].map((part) => part.file);
    const info = this.#host.commit({
      bucket,
      key: upload.object_key,
      file,
      size: written.size,
      etag,
      options: JSON.parse(upload.options) as PutOptions,
      eventName: OBJECT_EVENT_NAMES.completeMultipartUpload,
      partSizes: chosen.map((part) => part.size),
      alsoInTransaction: () => {
        this.#upload(bucket, key, uploadId);
        this.#sql.pruneCompleted.run(Date.now() - COMPLETED_KEPT_MS);
        this.#sql.recordCompleted.run(uploadId, bucket, upload.object_key, etag, null, Date.now());
        for (const part of partFiles) this.#sql.addOrphan.run(part);
        this.#sql.deleteParts.run(uploadId);
        this.#sql.deleteUpload.run(uploadId);
      },
    });
    await this.#host.releaseFiles([...partFiles, uploadDir(bucket, uploadId)]);
    return info;
  }

  abort(bucket: string, key: string, uploadId: string): void {
    const files = this.#db.transaction(() => {
      this.#upload(bucket, key, uploadId);
      const parts = this.#sql.parts.all(uploadId).map((part) => part.file);
      for (const part of parts) this.#sql.addOrphan.run(part);
      this.#sql.deleteParts.run(uploadId);
      this.#sql.deleteUpload.run(uploadId);
      return parts;
    })();
    this.#host.releaseLater([...files, uploadDir(bucket, uploadId)]);
  }

  listParts(
    bucket: string,
    key: string,
    uploadId: string,
    options: { partNumberMarker?: number; maxParts?: number },
  ): ListPartsResult {
    this.#upload(bucket, key, uploadId);
    const marker = options.partNumberMarker ?? 0;
    const maxParts = Math.min(Math.max(options.maxParts ?? 1000, 0), 1000);
    const rows = this.#sql.partsPage.all(uploadId, marker, maxParts + 1);
    const page = rows.slice(0, maxParts);
    const result: ListPartsResult = {
      bucket,
      key,
      uploadId,
      parts: page.map((row) => ({
        partNumber: row.part_number,
        etag: `"${row.md5}"`,
        size: row.size,
        lastModified: new Date(row.last_modified),
      })),
      partNumberMarker: marker,
      maxParts,
      isTruncated: rows.length > maxParts,
    };
    if (result.isTruncated) result.nextPartNumberMarker = page.at(-1)?.part_number ?? marker;
    return result;
  }

  listUploads(
    bucket: string,
    options: { prefix?: string; keyMarker?: string; uploadIdMarker?: string; maxUploads?: number },
  ): ListUploadsResult {
    this.#host.assertBucket(bucket);
    const prefix = Buffer.from(options.prefix ?? '', 'utf8');
    const end = prefixUpperBound(prefix) ?? Buffer.alloc(1025, 0xff);
    const maxUploads = Math.min(Math.max(options.maxUploads ?? 1000, 0), 1000);
    // Without an upload-id marker, S3 starts after every upload of the key marker.
    const keyMarker = Buffer.from(options.keyMarker ?? '', 'utf8');
    // Upload ids are base64url, so '~' sorts after all of them.
    const uploadMarker = options.keyMarker && !options.uploadIdMarker ? '~' : (options.uploadIdMarker ?? '');
    const rows = this.#sql.uploadsPage.all({
      bucket,
      from: prefix,
      end,
      keyMarker,
      uploadMarker,
      limit: maxUploads + 1,
    });
    const page = rows.slice(0, maxUploads);
    const result: ListUploadsResult = {
      bucket,
      uploads: page.map((row) => ({
        key: row.object_key.toString('utf8'),
        uploadId: row.upload_id,
        initiated: new Date(row.initiated),
      })),
      isTruncated: rows.length > maxUploads,
    };
    const last = page.at(-1);
    if (result.isTruncated && last) {
      result.nextKeyMarker = last.object_key.toString('utf8');
      result.nextUploadIdMarker = last.upload_id;
    }
    return result;
  }

  /** Removes every upload of a bucket being deleted (inside the caller's transaction). */
  dropBucket(bucket: string): void {
    this.#sql.dropCompleted.run(bucket);
    for (const upload of this.#sql.bucketUploads.all(bucket)) {
      this.#sql.deleteParts.run(upload.upload_id);
      this.#sql.deleteUpload.run(upload.upload_id);
    }
  }

  #upload(bucket: string, key: string, uploadId: string): UploadRow {
    const row = this.#sql.upload.get(uploadId);
    if (!row || row.bucket !== bucket || row.object_key.toString('utf8') !== key) throw new NoSuchUpload(uploadId);
    return row;
  }
}

function uploadDir(bucket: string, uploadId: string): string {
  return `${bucket}/uploads/${uploadId}`;
}

function unquote(etag: string): string {
  return etag.trim().replace(/^"|"$/g, '').toLowerCase();
}

async function* concatenated(paths: string[]): AsyncIterable<Buffer> {
  for (const path of paths) {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
  }
}
