/** Where an S3 request points: the bucket (from the Host or the path) and the key, decoded once. */
import type { IncomingMessage } from 'node:http';
import { S3Error } from './errors.js';

/** The target of an S3 request. */
export interface S3Target {
  bucket?: string;
  /** Decoded exactly once from the path; '' for bucket-level requests. */
  key: string;
  /** The resource named in error documents (`/bucket/key`). */
  resource: string;
}

const VIRTUAL_HOST = /^(.+?)\.(?:s3(?:[.-][a-z0-9-]+)*\.)?(?:localhost|amazonaws\.com|localhost\.localstack\.cloud)$/;

/**
 * Reads bucket and key from a request: virtual-hosted style (`bucket.localhost`, `bucket.s3.localhost`,
 * `bucket.s3.region.amazonaws.com`) or path style (`/bucket/key`). The raw request target is used so
 * that `..` and `%2F` in keys survive as sent.
 * @throws S3Error InvalidURI for malformed percent-encoding, InvalidBucketName for an empty bucket segment.
 */
export function locate(req: IncomingMessage): S3Target {
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const rawPath = (q < 0 ? target : target.slice(0, q)) || '/';
  const hostBucket = bucketOfHost(String(req.headers.host ?? ''));
  if (hostBucket) {
    const key = decode(rawPath.slice(1));
    return { bucket: hostBucket, key, resource: `/${hostBucket}/${key}` };
  }
  const path = rawPath.slice(1);
  if (path === '') return { key: '', resource: '/' };
  const slash = path.indexOf('/');
  // `//key`: a path-style request whose bucket segment is empty.
  if (slash === 0) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.');
  const bucket = decode(slash < 0 ? path : path.slice(0, slash));
  const key = slash < 0 ? '' : decode(path.slice(slash + 1));
  return { bucket, key, resource: `/${bucket}${key ? `/${key}` : ''}` };
}

/** The bucket named by a virtual-hosted Host header, if any. */
export function bucketOfHost(host: string): string | undefined {
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  const match = VIRTUAL_HOST.exec(hostname);
  if (!match?.[1] || match[1] === 's3' || /^s3[.-]/.test(match[1])) return undefined;
  return match[1];
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch (err) {
    throw new S3Error('InvalidURI', "Couldn't parse the specified URI.", { cause: err });
  }
}
