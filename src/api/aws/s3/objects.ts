/** Object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject. */
import { createLogger } from '../../../shared/log.js';
import { sendBody } from '../../../storage/objects/index.js';
import { S3Error } from './errors.js';
import { header, type ObjectMeta, objectHeaders, putHeadersOf } from './headers.js';
import { openPayload } from './payload.js';
import { type S3Request, sendEmpty } from './request.js';
import { malformedXml, parseXml, sendXml } from './xml.js';

const MAX_DELETE_KEYS = 1000;
// An object is <Object>, <Key> and perhaps <VersionId>, <ETag>: at most 8 tags each.
const DELETE_LIMITS = { maxTags: MAX_DELETE_KEYS * 8 + 64, maxOccurs: { Object: MAX_DELETE_KEYS } } as const;
const log = createLogger('s3');

/** PutObject: streams the decoded body into the store; answers ETag and checksum headers. */
export async function putObject(s3: S3Request): Promise<void> {
  const { engine, req, res, bucket, key } = s3;
  engine.objects.headBucket(bucket);
  const options = putHeadersOf(req);
  const payload = openPayload(req, s3.scope);
  const info = await engine.objects.putObject(bucket, key, payload.body, options, 'Put');
  sendEmpty(res, 200, { etag: info.etag, ...payload.checksums });
}

/** GetObject: conditional requests, ranges (206) and response-* overrides; the body streams. */
export async function getObject(s3: S3Request): Promise<void> {
  const { engine, req, res, bucket, key, query } = s3;
  const head = engine.objects.headObject(bucket, key);
  if (checkConditions(s3, head) === 'not-modified') {
    res.writeHead(304, { etag: head.etag, 'last-modified': head.lastModified.toUTCString() });
    res.end();
    return;
  }
  const range = header(req, 'range');
  const object = await engine.objects.getObject(bucket, key, range ? { range } : undefined);
  const headers = objectHeaders(object.info, query);
  if (object.range) {
    const { start, end } = object.range;
    headers['content-range'] = `bytes ${start}-${end}/${object.info.size}`;
    headers['content-length'] = String(end - start + 1);
    res.writeHead(206, headers);
  } else {
    headers['content-length'] = String(object.info.size);
    res.writeHead(200, headers);
  }
  try {
    await sendBody(object.body, res);
  } catch (err) {
    // A client that hangs up mid-body is not a server failure.
    if ((err as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
    log.debug('client closed during GetObject', { bucket, key });
  }
}

/** HeadObject: the object's headers without a body (errors too have no body). */
export async function headObject(s3: S3Request): Promise<void> {
  const { engine, res, bucket, key, query } = s3;
  const info = engine.objects.headObject(bucket, key);
  if (checkConditions(s3, info) === 'not-modified') {
    res.writeHead(304, { etag: info.etag, 'last-modified': info.lastModified.toUTCString() });
    res.end();
    return;
  }
  res.writeHead(200, { ...objectHeaders(info, query), 'content-length': String(info.size) });
  res.end();
}

/** DeleteObject: 204 whether or not the key existed (NoSuchBucket when the bucket does not). */
export async function deleteObject({ engine, res, bucket, key }: S3Request): Promise<void> {
  engine.objects.headBucket(bucket);
  engine.objects.deleteObject(bucket, key);
  sendEmpty(res, 204);
}

/** DeleteObjects (POST ?delete): a batch of keys, answered per key; Quiet lists only errors. */
export async function deleteObjects(s3: S3Request): Promise<void> {
  const { engine, req, res, bucket } = s3;
  engine.objects.headBucket(bucket);
  const text = await readSmallBody(req);
  const doc = parseXml(text, DELETE_LIMITS).Delete as { Object?: Array<{ Key?: unknown }>; Quiet?: string } | undefined;
  if (typeof doc !== 'object' || doc === null) throw malformedXml();
  const keys = (doc.Object ?? []).map((o) => {
    if (typeof o !== 'object' || o === null || typeof o.Key !== 'string') throw malformedXml();
    return o.Key;
  });
  if (keys.length === 0 || keys.length > MAX_DELETE_KEYS) {
    throw new S3Error('MalformedXML', `A batch delete names 1 to ${MAX_DELETE_KEYS} keys`);
  }
  const quiet = doc.Quiet === 'true';
  const results = engine.objects.deleteObjects(bucket, keys);
  const deleted = results.filter((r) => !r.error && !quiet).map((r) => ({ Key: r.key }));
  const failed = results
    .filter((r) => r.error)
    .map((r) => ({ Key: r.key, Code: r.error?.code, Message: r.error?.message }));
  sendXml(res, { DeleteResult: { Deleted: deleted, Error: failed } });
}

/** CopyObject (PUT with x-amz-copy-source): COPY keeps the source metadata, REPLACE takes the request's. */
export async function copyObject(s3: S3Request): Promise<void> {
  const { engine, req, res, bucket, key } = s3;
  const source = copySourceOf(header(req, 'x-amz-copy-source') ?? '');
  const directive = header(req, 'x-amz-metadata-directive') ?? 'COPY';
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new S3Error('InvalidArgument', `Unknown metadata directive ${directive}`);
  }
  const sourceInfo = engine.objects.headObject(source.bucket, source.key);
  if (checkConditions(s3, sourceInfo, 'x-amz-copy-source-') === 'not-modified') {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  }
  if (source.bucket === bucket && source.key === key && directive === 'COPY') {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata",
    );
  }
  const options = directive === 'REPLACE' ? putHeadersOf(req) : {};
  const info = await engine.objects.copyObject(source, { bucket, key }, { metadataDirective: directive, ...options });
  sendXml(res, { CopyObjectResult: { LastModified: info.lastModified.toISOString(), ETag: info.etag } });
}

/** Parses x-amz-copy-source (`/bucket/key` or `bucket/key`, URL-encoded, optional `?versionId=`). */
export function copySourceOf(value: string): { bucket: string; key: string } {
  const withoutVersion = value.split('?')[0] ?? '';
  const path = withoutVersion.startsWith('/') ? withoutVersion.slice(1) : withoutVersion;
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) {
    throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  }
  try {
    return { bucket: decodeURIComponent(path.slice(0, slash)), key: decodeURIComponent(path.slice(slash + 1)) };
  } catch (err) {
    throw new S3Error('InvalidArgument', 'Invalid copy source encoding', { cause: err });
  }
}

/**
 * Evaluates If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since (RFC 7232 order).
 * @throws S3Error PreconditionFailed (412).
 */
export function checkConditions(s3: S3Request, info: ObjectMeta, prefix = ''): 'ok' | 'not-modified' {
  const ifMatch = header(s3.req, `${prefix}if-match`);
  const ifNoneMatch = header(s3.req, `${prefix}if-none-match`);
  const ifModifiedSince = header(s3.req, `${prefix}if-modified-since`);
  const ifUnmodifiedSince = header(s3.req, `${prefix}if-unmodified-since`);
  const modified = Math.floor(info.lastModified.getTime() / 1000) * 1000;
  const failed = () =>
    new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, info.etag)) throw failed();
  } else if (ifUnmodifiedSince !== undefined && modified > Date.parse(ifUnmodifiedSince)) {
    throw failed();
  }
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, info.etag)) return 'not-modified';
  } else if (ifModifiedSince !== undefined && modified <= Date.parse(ifModifiedSince)) {
    return 'not-modified';
  }
  return 'ok';
}

/** Reads a small XML request body (batch delete, multipart completion, configurations). */
export async function readSmallBody(req: S3Request['req'], limit = 2 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new S3Error('MaxMessageLengthExceeded', 'Your request was too big.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function etagMatches(condition: string, etag: string): boolean {
  const bare = etag.replace(/^"|"$/g, '');
  return condition.split(',').some((candidate) => {
    const c = candidate.trim().replace(/^W\//, '');
    return c === '*' || c.replace(/^"|"$/g, '') === bare;
  });
}
