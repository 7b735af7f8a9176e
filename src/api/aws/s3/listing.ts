/** ListObjects (v1, Marker) and ListObjectsV2 (continuation tokens), with prefixes, delimiters and url encoding. */
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
  const resumeAt = token !== null ? decodeToken(token) : startAfter;
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

/** ListObjects v1 (GET bucket): Marker in, NextMarker out when the listing is truncated. */
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
      ...(page.isTruncated && page.nextStartAfter ? { NextMarker: encode(page.nextStartAfter) } : {}),
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
  // S3 form-encodes (spaces as '+'), which botocore decodes with unquote_plus.
  return (text) => encodeURIComponent(text).replace(/%2F/g, '/').replace(/%20/g, '+');
}

function encodeToken(startAfter: string): string {
  return Buffer.from(startAfter, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  if (token === '' || Buffer.from(decoded, 'utf8').toString('base64url') !== token) {
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect');
  }
  return decoded;
}
