/**
 * ListObjects (v1, Marker), ListObjectsV2 (continuation tokens) and ListObjectVersions, with prefixes,
 * delimiters and url encoding.
 */
import { S3Error } from './errors.js';
import type { S3Request } from './request.js';
import { sendXml } from './xml.js';

const DEFAULT_MAX_KEYS = 1000;
const OWNER = { ID: 'lambdata', DisplayName: 'lambdata' } as const;

/** ListObjectsV2 (GET ?list-type=2). Continuation tokens are opaque: base64url of where to resume. */
export async function listObjectsV2(s3: S3Request): Promise<void> {
  const { query } = s3;
  const token = query.get('continuation-token');
  const startAfter = query.get('start-after') ?? undefined;
  // An empty token is no token: the listing starts at the beginning (or at start-after).
  const resumeAt = token ? decodeToken(token) : startAfter;
  const page = list(s3, resumeAt);
  const encode = encoderOf(query);
  const fetchOwner = query.get('fetch-owner') === 'true';
  sendXml(s3.res, {
    ListBucketResult: {
      Name: s3.bucket,
      Prefix: encode(page.prefix),
      ...(page.delimiter ? { Delimiter: encode(page.delimiter) } : {}),
      MaxKeys: page.maxKeys,
      KeyCount: page.objects.length + page.commonPrefixes.length,
      IsTruncated: page.isTruncated,
      ...(token !== null ? { ContinuationToken: token } : {}),
      ...(page.isTruncated && page.nextStartAfter ? { NextContinuationToken: encodeToken(page.nextStartAfter) } : {}),
      ...(startAfter ? { StartAfter: encode(startAfter) } : {}),
      ...(query.get('encoding-type') === 'url' ? { EncodingType: 'url' } : {}),
      Contents: page.objects.map((o) => ({ ...contentOf(o, encode), ...(fetchOwner ? { Owner: OWNER } : {}) })),
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
    },
  });
}

/**
 * ListObjects v1 (GET bucket): Marker in; NextMarker out only when the listing is truncated and a
 * delimiter was given (otherwise clients resume after the last key, as S3 documents).
 */
export async function listObjectsV1(s3: S3Request): Promise<void> {
  const { query } = s3;
  const marker = query.get('marker') ?? '';
  const page = list(s3, marker || undefined);
  const encode = encoderOf(query);
  sendXml(s3.res, {
    ListBucketResult: {
      Name: s3.bucket,
      Prefix: encode(page.prefix),
      Marker: encode(marker),
      ...(page.isTruncated && page.nextStartAfter && page.delimiter ? { NextMarker: encode(page.nextStartAfter) } : {}),
      MaxKeys: page.maxKeys,
      ...(page.delimiter ? { Delimiter: encode(page.delimiter) } : {}),
      IsTruncated: page.isTruncated,
      ...(query.get('encoding-type') === 'url' ? { EncodingType: 'url' } : {}),
      Contents: page.objects.map((o) => ({ ...contentOf(o, encode), Owner: OWNER })),
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
    },
  });
}

function list(s3: S3Request, startAfter: string | undefined) {
  const prefix = s3.query.get('prefix') ?? '';
  const delimiter = s3.query.get('delimiter') ?? '';
  const maxKeys = maxKeysOf(s3.query.get('max-keys'));
  const result =
    maxKeys === 0
      ? { objects: [], commonPrefixes: [], isTruncated: false, nextStartAfter: undefined }
      : s3.engine.objects.listObjects(s3.bucket, {
          prefix: prefix || undefined,
          delimiter: delimiter || undefined,
          startAfter,
          maxKeys,
        });
  return { ...result, prefix, delimiter, maxKeys };
}

function contentOf(
  o: { key: string; lastModified: Date; etag: string; size: number },
  encode: (text: string) => string,
) {
  return {
    Key: encode(o.key),
    LastModified: o.lastModified.toISOString(),
    ETag: o.etag,
    Size: o.size,
    StorageClass: 'STANDARD',
  };
}

function maxKeysOf(value: string | null): number {
  if (value === null) return DEFAULT_MAX_KEYS;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range');
  return Math.min(n, DEFAULT_MAX_KEYS);
}

function encoderOf(query: URLSearchParams): (text: string) => string {
  if (query.get('encoding-type') !== 'url') return (text) => text;
  // S3 percent-encodes every byte but unreserved characters and '/': a space is %20, '(' is %28.
  return (text) =>
    encodeURIComponent(text)
      .replace(/%2F/g, '/')
      .replace(/[!'()*]/g, percentEncode);
}

function percentEncode(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
}

function encodeToken(startAfter: string): string {
  return Buffer.from(startAfter, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  if (Buffer.from(decoded, 'utf8').toString('base64url') !== token) {
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect');
  }
  return decoded;
}

/** ListObjectVersions (GET ?versions): versions and delete markers by key, newest first. */
export async function listObjectVersions(s3: S3Request): Promise<void> {
  const { query } = s3;
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const keyMarker = query.get('key-marker') ?? '';
  const versionIdMarker = query.get('version-id-marker') ?? '';
  const maxKeys = maxKeysOf(query.get('max-keys'));
  const page =
    maxKeys === 0
      ? {
          versions: [],
          commonPrefixes: [],
          isTruncated: false,
          nextKeyMarker: undefined,
          nextVersionIdMarker: undefined,
        }
      : s3.engine.objects.listObjectVersions(s3.bucket, {
          prefix: prefix || undefined,
          delimiter: delimiter || undefined,
          keyMarker: keyMarker || undefined,
          versionIdMarker: versionIdMarker || undefined,
          maxKeys,
        });
  const encode = encoderOf(query);
  const common = (v: (typeof page.versions)[number]) => ({
    Key: encode(v.key),
    VersionId: v.versionId,
    IsLatest: v.isLatest,
    LastModified: v.lastModified.toISOString(),
  });
  sendXml(s3.res, {
    ListVersionsResult: {
      Name: s3.bucket,
      Prefix: encode(prefix),
      KeyMarker: encode(keyMarker),
      VersionIdMarker: versionIdMarker,
      ...(page.nextKeyMarker !== undefined ? { NextKeyMarker: encode(page.nextKeyMarker) } : {}),
      ...(page.nextVersionIdMarker !== undefined ? { NextVersionIdMarker: page.nextVersionIdMarker } : {}),
      MaxKeys: maxKeys,
      ...(delimiter ? { Delimiter: encode(delimiter) } : {}),
      IsTruncated: page.isTruncated,
      ...(query.get('encoding-type') === 'url' ? { EncodingType: 'url' } : {}),
      Version: page.versions
        .filter((v) => !v.deleteMarker)
        .map((v) => ({ ...common(v), ETag: v.etag, Size: v.size, Owner: OWNER, StorageClass: 'STANDARD' })),
      DeleteMarker: page.versions.filter((v) => v.deleteMarker).map((v) => ({ ...common(v), Owner: OWNER })),
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
    },
  });
}
