/** Types of the object store's library API (S3 semantics); the S3 wire adapter and the CLI build on these. */
import type { Readable } from 'node:stream';

/** What the store knows about one object. */
export interface ObjectInfo {
  bucket: string;
  key: string;
  size: number;
  /** Quoted hex MD5 (`"…"`), or `"…-N"` for an object assembled from N multipart parts. */
  etag: string;
  lastModified: Date;
  contentType: string;
  /** User metadata (x-amz-meta-*), keys lowercased and without the prefix. */
  metadata: Record<string, string>;
  contentEncoding?: string;
  contentDisposition?: string;
  cacheControl?: string;
  contentLanguage?: string;
  /** The Expires header as given at write time. */
  expires?: string;
  /** How many tags the object carries (absent for none). */
  tagCount?: number;
  /** How many parts a multipart upload assembled it from (absent for an object written whole). */
  partsCount?: number;
  /** The version id; absent in a bucket that never had versioning, `"null"` for the null version. */
  versionId?: string;
}

/** A bucket's versioning state as S3 names it; absent for a bucket that never had versioning. */
export type VersioningStatus = 'Enabled' | 'Suspended';

/** An object's tags, in the order given. */
export type TagSet = Array<{ key: string; value: string }>;

/** Options of a write (put, copy, multipart create). */
export interface PutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  contentEncoding?: string;
  contentDisposition?: string;
  cacheControl?: string;
  contentLanguage?: string;
  expires?: string;
  tags?: TagSet;
  /** Base64 MD5 of the body; a mismatch is BadDigest and nothing is stored. */
  contentMd5?: string;
}

/** A body the store can write: a Node stream, any async iterable of bytes, a Buffer or a string. */
export type BodyInput = NodeJS.ReadableStream | AsyncIterable<Uint8Array> | Buffer | Uint8Array | string;

/** The result of a read: the object's info, its body stream and the inclusive byte range served, if any. */
export interface ObjectRead {
  info: ObjectInfo;
  body: Readable;
  range?: { start: number; end: number };
}

/** Options of `listObjects`. */
export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  /** Only entries (keys or common prefixes) strictly after this, in UTF-8 byte order. */
  startAfter?: string;
  /** 0–1000, default 1000. */
  maxKeys?: number;
}

/** Options of `listObjectVersions`. */
export interface ListVersionsOptions {
  prefix?: string;
  delimiter?: string;
  /** Start after this key (after every version of it, unless `versionIdMarker` is given too). */
  keyMarker?: string;
  /** With `keyMarker`: start after this version of that key. */
  versionIdMarker?: string;
  /** 0–1000, default 1000. */
  maxKeys?: number;
}

/** One version or delete marker in a version listing. */
export interface VersionEntry {
  key: string;
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
  lastModified: Date;
  /** Absent for delete markers. */
  etag?: string;
  size?: number;
}

/** One page of `listObjectVersions`. */
export interface ListVersionsResult {
  versions: VersionEntry[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

/** What a delete did: removed a version (or nothing), or created a delete marker. */
export interface DeleteOutcome {
  /** Whether something existed and was removed or hidden. */
  existed: boolean;
  /** The delete marker created, or the version removed. */
  versionId?: string;
  /** True when a delete marker was created, or the version removed was a delete marker. */
  deleteMarker: boolean;
}

/** One page of a listing. */
export interface ListResult {
  objects: ObjectInfo[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Present when truncated: the last entry returned (key or common prefix); pass it as `startAfter`. */
  nextStartAfter?: string;
}

/** Names of the events the store publishes (S3 event names without the `s3:` prefix). */
export const OBJECT_EVENT_NAMES = {
  put: 'ObjectCreated:Put',
  post: 'ObjectCreated:Post',
  copy: 'ObjectCreated:Copy',
  completeMultipartUpload: 'ObjectCreated:CompleteMultipartUpload',
  delete: 'ObjectRemoved:Delete',
  deleteMarkerCreated: 'ObjectRemoved:DeleteMarkerCreated',
  taggingPut: 'ObjectTagging:Put',
  taggingDelete: 'ObjectTagging:Delete',
} as const;
export type ObjectEventName = (typeof OBJECT_EVENT_NAMES)[keyof typeof OBJECT_EVENT_NAMES];

/** Something that happened to an object, published after (and recorded within) its metadata commit. */
export interface ObjectEvent {
  eventName: ObjectEventName;
  bucket: string;
  key: string;
  /** Absent for removals and tagging. */
  size?: number;
  /** Unquoted ETag; absent for removals. */
  etag?: string;
  /** The version written or removed, in a bucket with versioning. */
  versionId?: string;
  /** Hex, strictly increasing across the store's lifetime. */
  sequencer: string;
  time: Date;
}

/** One part of a multipart upload. */
export interface PartInfo {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: Date;
}

/** One page of `listParts`. */
export interface ListPartsResult {
  bucket: string;
  key: string;
  uploadId: string;
  parts: PartInfo[];
  partNumberMarker: number;
  nextPartNumberMarker?: number;
  maxParts: number;
  isTruncated: boolean;
}

/** An upload in progress. */
export interface UploadInfo {
  key: string;
  uploadId: string;
  initiated: Date;
}

/** One page of `listMultipartUploads`. */
export interface ListUploadsResult {
  bucket: string;
  uploads: UploadInfo[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextUploadIdMarker?: string;
}

/** Result of one key in `deleteObjects`. */
export interface DeleteResult {
  key: string;
  deleted: boolean;
  /** The version asked for, if any. */
  versionId?: string;
  /** Set when the delete created a delete marker or removed one. */
  deleteMarker?: boolean;
  /** The delete marker's version id (created, or removed by version id). */
  deleteMarkerVersionId?: string;
  error?: { code: string; message: string };
}
