import type { NotificationConfiguration } from '../../events/index.js';
import { InvalidArgument, type ObjectInfo, sendBody } from '../../storage/objects/index.js';
import { readJsonObject, requestBody, sendJson } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import type { BucketCreated, BucketList, ObjectInfoAnswer, ObjectListing } from './contract.js';

/** Buckets, objects (streamed, with ranges) and notification configuration, under /_lambdata. */
export const routes: Route[] = [
  { method: 'GET', path: '/buckets', handler: listBuckets },
  { method: 'PUT', path: '/buckets/:bucket', handler: createBucket },
  { method: 'DELETE', path: '/buckets/:bucket', handler: deleteBucket },
  { method: 'GET', path: '/buckets/:bucket/objects', handler: listObjects },
  { method: 'GET', path: '/buckets/:bucket/notifications', handler: getNotifications },
  { method: 'PUT', path: '/buckets/:bucket/notifications', handler: putNotifications },
  { method: 'GET', path: '/buckets/:bucket/object-info/:key*', handler: objectInfo },
  { method: 'PUT', path: '/buckets/:bucket/objects/:key*', handler: putObject, body: 'raw' },
  { method: 'GET', path: '/buckets/:bucket/objects/:key*', handler: getObject },
  { method: 'DELETE', path: '/buckets/:bucket/objects/:key*', handler: deleteObject },
];

/** An object's info as JSON (dates as ISO strings). */
export function objectJson(info: ObjectInfo): ObjectInfoAnswer {
  return { ...info, lastModified: info.lastModified.toISOString() };
}

function listBuckets({ engine, res }: RouteContext): void {
  const buckets = engine.objects.listBuckets().map((b) => ({ name: b.name, createdAt: b.createdAt.toISOString() }));
  sendJson(res, 200, { buckets } satisfies BucketList);
}

function createBucket({ engine, res, params }: RouteContext): void {
  engine.objects.createBucket(params.bucket ?? '');
  sendJson(res, 200, { name: params.bucket } satisfies BucketCreated);
}

function deleteBucket({ engine, res, params }: RouteContext): void {
  engine.objects.deleteBucket(params.bucket ?? '');
  res.writeHead(204).end();
}

function listObjects({ engine, res, params, url }: RouteContext): void {
  const q = url.searchParams;
  const maxKeys = q.get('maxKeys');
  if (maxKeys !== null && !/^\d+$/.test(maxKeys)) throw new InvalidArgument('maxKeys must be a non-negative integer');
  const page = engine.objects.listObjects(params.bucket ?? '', {
    ...(q.get('prefix') ? { prefix: q.get('prefix') as string } : {}),
    ...(q.get('delimiter') ? { delimiter: q.get('delimiter') as string } : {}),
    ...(q.get('startAfter') ? { startAfter: q.get('startAfter') as string } : {}),
    ...(maxKeys !== null ? { maxKeys: Number(maxKeys) } : {}),
  });
  sendJson(res, 200, {
    objects: page.objects.map((o) => ({
      key: o.key,
      size: o.size,
      etag: o.etag,
      lastModified: o.lastModified.toISOString(),
      contentType: o.contentType,
    })),
    commonPrefixes: page.commonPrefixes,
    isTruncated: page.isTruncated,
    ...(page.nextStartAfter !== undefined ? { nextStartAfter: page.nextStartAfter } : {}),
  } satisfies ObjectListing);
}

function objectInfo({ engine, res, params }: RouteContext): void {
  sendJson(res, 200, objectJson(engine.objects.headObject(params.bucket ?? '', params.key ?? '')));
}

async function putObject({ engine, req, res, params }: RouteContext): Promise<void> {
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name.slice(11)] = value;
  }
  const options = {
    contentType: header('content-type'),
    contentMd5: header('content-md5'),
    contentEncoding: header('content-encoding'),
    contentDisposition: header('content-disposition'),
    cacheControl: header('cache-control'),
    metadata,
  };
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const info = await engine.objects.putObject(params.bucket ?? '', params.key ?? '', requestBody(req), defined);
  sendJson(res, 200, objectJson(info));
}

async function getObject({ engine, req, res, params, url }: RouteContext): Promise<void> {
  const range = typeof req.headers.range === 'string' ? req.headers.range : undefined;
  const read = await engine.objects.getObject(params.bucket ?? '', params.key ?? '', range ? { range } : {});
  const { info, body } = read;
  const headers: Record<string, string | number> = {
    'content-type': info.contentType,
    etag: info.etag,
    'last-modified': info.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    'content-length': read.range ? read.range.end - read.range.start + 1 : info.size,
  };
  if (read.range) headers['content-range'] = `bytes ${read.range.start}-${read.range.end}/${info.size}`;
  if (info.contentEncoding) headers['content-encoding'] = info.contentEncoding;
  if (info.cacheControl) headers['cache-control'] = info.cacheControl;
  if (url.searchParams.get('download') === '1') {
    const name = info.key.split('/').pop() || 'object';
    headers['content-disposition'] = `attachment; filename*=UTF-8''${encodeURIComponent(name)}`;
  } else if (info.contentDisposition) headers['content-disposition'] = info.contentDisposition;
  for (const [name, value] of Object.entries(info.metadata)) headers[`x-amz-meta-${name}`] = value;
  res.writeHead(read.range ? 206 : 200, headers);
  try {
    await sendBody(body, res);
  } catch (err) {
    // A client that hangs up mid-body is not a server failure; anything else is.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
  }
}

function deleteObject({ engine, res, params }: RouteContext): void {
  engine.objects.deleteObject(params.bucket ?? '', params.key ?? '');
  res.writeHead(204).end();
}

function getNotifications({ engine, res, params }: RouteContext): void {
  sendJson(res, 200, engine.notifications.getConfiguration(params.bucket ?? ''));
}

async function putNotifications({ engine, req, res, params }: RouteContext): Promise<void> {
  const body = await readJsonObject<NotificationConfiguration>(req);
  sendJson(res, 200, engine.notifications.putConfiguration(params.bucket ?? '', body));
}
