/** Object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject. */
import { createLogger } from '../../../shared/log.js';
import { sendBody } from '../../../storage/objects/index.js';
import { S3Error } from './errors.js';
import { header, type ObjectMeta, objectHeaders, putHeadersOf, tagsOfHeader } from './headers.js';
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
  sendEmpty(res, 200, { etag: info.etag, ...versionHeader(info), ...payload.checksums });
}

/** GetObject: conditional requests, ranges (206) and response-* overrides; the body streams. */
export async function getObject(s3: S3Request): Promise<void> {
  const { engine, req, res, bucket, key, query } = s3;
  const selector = readSelectorOf(query);
  const head = engine.objects.headObject(bucket, key, selector);
  if (checkConditions(s3, head) === 'not-modified') {
    res.writeHead(304, { etag: head.etag, 'last-modified': head.lastModified.toUTCString() });
    res.end();
    return;
  }
  const range = header(req, 'range');
  const object = await engine.objects.getObject(bucket, key, readOptionsOf(query, range));
  const headers = objectHeaders(object.info, query);
  addPartHeaders(headers, object.info, query);
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
  const info = engine.objects.headObject(bucket, key, readSelectorOf(query));
  if (checkConditions(s3, info) === 'not-modified') {
    res.writeHead(304, { etag: info.etag, 'last-modified': info.lastModified.toUTCString() });
    res.end();
    return;
  }
  if (query.has('partNumber')) {
    // A part's headers are those of the ranged GET of that part.
    const { body, info: part, range } = await engine.objects.getObject(bucket, key, readOptionsOf(query, undefined));
    body.destroy();
    const headers = objectHeaders(part, query);
    addPartHeaders(headers, part, query);
    const length = range ? range.end - range.start + 1 : part.size;
    if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${part.size}`;
    res.writeHead(range ? 206 : 200, { ...headers, 'content-length': String(length) });
    res.end();
    return;
  }
  res.writeHead(200, { ...objectHeaders(info, query), 'content-length': String(info.size) });
  res.end();
}

/**
 * DeleteObject: 204 whether or not the key existed (NoSuchBucket when the bucket does not). In a
 * versioned bucket it answers the delete marker it created, or the version it removed.
 */
export async function deleteObject({ engine, res, bucket, key, query }: S3Request): Promise<void> {
  engine.objects.headBucket(bucket);
  const outcome = engine.objects.deleteObjectVersion(bucket, key, query.get('versionId') ?? undefined);
  const headers: Record<string, string> = {};
  if (outcome.versionId !== undefined) headers['x-amz-version-id'] = outcome.versionId;
  if (outcome.deleteMarker) headers['x-amz-delete-marker'] = 'true';
  sendEmpty(res, 204, headers);
}

/** GetObjectTagging (GET ?tagging). */
export async function getObjectTagging({ engine, res, bucket, key, query }: S3Request): Promise<void> {
  const { tags, versionId } = engine.objects.getObjectTagging(bucket, key, readSelectorOf(query));
  sendXml(
    res,
    { Tagging: { TagSet: { Tag: tags.map((t) => ({ Key: t.key, Value: t.value })) } } },
    versionId !== undefined ? { 'x-amz-version-id': versionId } : {},
  );
}

/** PutObjectTagging (PUT ?tagging): replaces the tag set. */
export async function putObjectTagging(s3: S3Request): Promise<void> {
  const { engine, req, res, bucket, key, query } = s3;
  engine.objects.headBucket(bucket);
  const doc = parseXml(await readSmallBody(req)).Tagging as { TagSet?: { Tag?: unknown } | '' } | undefined;
  if (typeof doc !== 'object' || doc === null || doc.TagSet === undefined) throw malformedXml();
  const raw = doc.TagSet === '' ? [] : doc.TagSet.Tag;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const tags = list.map((tag) => {
    const { Key, Value } = (tag ?? {}) as { Key?: unknown; Value?: unknown };
    if (typeof Key !== 'string') throw malformedXml();
    return { key: Key, value: typeof Value === 'string' ? Value : '' };
  });
  const { versionId } = engine.objects.putObjectTagging(bucket, key, tags, readSelectorOf(query));
  sendEmpty(res, 200, versionId !== undefined ? { 'x-amz-version-id': versionId } : {});
}

/** DeleteObjectTagging (DELETE ?tagging): 204. */
export async function deleteObjectTagging({ engine, res, bucket, key, query }: S3Request): Promise<void> {
  const { versionId } = engine.objects.deleteObjectTagging(bucket, key, readSelectorOf(query));
  sendEmpty(res, 204, versionId !== undefined ? { 'x-amz-version-id': versionId } : {});
}

/** DeleteObjects (POST ?delete): a batch of keys (or versions), answered per key; Quiet lists only errors. */
export async function deleteObjects(s3: S3Request): Promise<void> {
  const { engine, req, res, bucket } = s3;
  engine.objects.headBucket(bucket);
  const text = await readSmallBody(req);
  // Keys are kept exactly, whitespace too: a key may be a single space.
  const doc = parseXml(text, { ...DELETE_LIMITS, keepWhitespace: true }).Delete as
    | { Object?: Array<{ Key?: unknown; VersionId?: unknown }>; Quiet?: unknown }
    | undefined;
  if (typeof doc !== 'object' || doc === null) throw malformedXml();
  const entries = (doc.Object ?? []).map((o) => {
    if (typeof o !== 'object' || o === null || typeof o.Key !== 'string') throw malformedXml();
    const versionId = typeof o.VersionId === 'string' ? o.VersionId.trim() : undefined;
    return versionId ? { key: o.Key, versionId } : { key: o.Key };
  });
  if (entries.length === 0 || entries.length > MAX_DELETE_KEYS) {
    throw new S3Error('MalformedXML', `A batch delete names 1 to ${MAX_DELETE_KEYS} keys`);
  }
  const quiet = String(doc.Quiet ?? '').trim() === 'true';
  const results = engine.objects.deleteObjects(bucket, entries);
  const deleted = results
    .filter((r) => !r.error && !quiet)
    .map((r) => ({
      Key: r.key,
      ...(r.versionId !== undefined ? { VersionId: r.versionId } : {}),
      ...(r.deleteMarker ? { DeleteMarker: true } : {}),
      ...(r.deleteMarkerVersionId !== undefined ? { DeleteMarkerVersionId: r.deleteMarkerVersionId } : {}),
    }));
  const failed = results
    .filter((r) => r.error)
    .map((r) => ({
      Key: r.key,
      ...(r.versionId !== undefined ? { VersionId: r.versionId } : {}),
      Code: r.error?.code,
      Message: r.error?.message,
    }));
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
  const taggingDirective = header(req, 'x-amz-tagging-directive') ?? 'COPY';
  if (taggingDirective !== 'COPY' && taggingDirective !== 'REPLACE') {
    throw new S3Error('InvalidArgument', `Unknown tagging directive ${taggingDirective}`);
  }
  const sourceInfo = engine.objects.headObject(
    source.bucket,
    source.key,
    source.versionId ? { versionId: source.versionId } : {},
  );
  if (checkConditions(s3, sourceInfo, 'x-amz-copy-source-') === 'not-modified') {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  }
  const sameObject = source.bucket === bucket && source.key === key && !source.versionId;
  if (sameObject && directive === 'COPY' && taggingDirective === 'COPY') {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata",
    );
  }
  const options = directive === 'REPLACE' ? putHeadersOf(req) : {};
  const tagging = header(req, 'x-amz-tagging');
  const tags = taggingDirective === 'REPLACE' ? { tags: tagging ? tagsOfHeader(tagging) : [] } : {};
  const info = await engine.objects.copyObject(
    source,
    { bucket, key },
    { metadataDirective: directive, taggingDirective, ...options, ...tags },
  );
  const headers: Record<string, string> = { ...versionHeader(info) };
  if (sourceInfo.versionId !== undefined) headers['x-amz-copy-source-version-id'] = sourceInfo.versionId;
  sendXml(res, { CopyObjectResult: { LastModified: info.lastModified.toISOString(), ETag: info.etag } }, headers);
}

/** Parses x-amz-copy-source (`/bucket/key` or `bucket/key`, URL-encoded, optional `?versionId=`). */
export function copySourceOf(value: string): { bucket: string; key: string; versionId?: string } {
  const [withoutVersion = '', sourceQuery = ''] = value.split('?');
  const versionId = new URLSearchParams(sourceQuery).get('versionId') ?? undefined;
  const path = withoutVersion.startsWith('/') ? withoutVersion.slice(1) : withoutVersion;
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) {
    throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  }
  try {
    const source = { bucket: decodeURIComponent(path.slice(0, slash)), key: decodeURIComponent(path.slice(slash + 1)) };
    return versionId ? { ...source, versionId } : source;
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

/** The version a read names (`versionId`), if any. */
function readSelectorOf(query: URLSearchParams): { versionId?: string } {
  const versionId = query.get('versionId');
  return versionId !== null ? { versionId } : {};
}

/** What a GET reads: a version, and a byte range or one part (`partNumber`, which excludes Range). */
function readOptionsOf(
  query: URLSearchParams,
  range: string | undefined,
): { range?: string; versionId?: string; partNumber?: number } {
  const partNumber = query.get('partNumber');
  if (partNumber === null) return { ...readSelectorOf(query), ...(range ? { range } : {}) };
  if (range) throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter');
  const n = /^[1-9]\d{0,4}$/.test(partNumber) ? Number(partNumber) : Number.NaN;
  if (!(n >= 1 && n <= 10_000)) {
    throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
  }
  return { ...readSelectorOf(query), partNumber: n };
}

/** `x-amz-mp-parts-count` on a read of one part of a multipart object. */
function addPartHeaders(headers: Record<string, string>, info: ObjectMeta, query: URLSearchParams): void {
  if (query.has('partNumber') && info.partsCount !== undefined) {
    headers['x-amz-mp-parts-count'] = String(info.partsCount);
  }
}

/** `x-amz-version-id` of a write in a bucket with versioning. */
function versionHeader(info: ObjectMeta): Record<string, string> {
  return info.versionId !== undefined ? { 'x-amz-version-id': info.versionId } : {};
}
