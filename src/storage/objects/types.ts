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
}

/** Options of a write (put, copy, multipart create). */
export interface PutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  contentEncoding?: string;
  contentDisposition?: string;
  cacheControl?: string;
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
} as const;
export type ObjectEventName = (typeof OBJECT_EVENT_NAMES)[keyof typeof OBJECT_EVENT_NAMES];

/** Something that happened to an object, published after (and recorded within) its metadata commit. */
export interface ObjectEvent {
  eventName: ObjectEventName;
  bucket: string;
  key: string;
  /** Absent for removals. */
  size?: number;
  /** Unquoted ETag; absent for removals. */
  etag?: string;
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
  error?: { code: string; message: string };
}
