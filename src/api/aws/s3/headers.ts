/** Object metadata as S3 headers, both ways: request headers → put options, object info → response headers. */
import type { IncomingMessage } from 'node:http';
import type { ObjectInfo, PutOptions } from '../../../storage/objects/index.js';

/** The object metadata S3 headers carry: the store's ObjectInfo without its address. */
export type ObjectMeta = Omit<ObjectInfo, 'bucket' | 'key'>;

/** Put options read from request headers: the store's PutOptions, metadata always present. */
export type PutHeaders = PutOptions & { metadata: Record<string, string> };

const META_PREFIX = 'x-amz-meta-';
const OVERRIDES = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
} as const;

/** Put options from a request's headers; aws-chunked is a transfer detail, not the object's encoding. */
export function putHeadersOf(req: IncomingMessage): PutHeaders {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(META_PREFIX) && typeof value === 'string') metadata[name.slice(META_PREFIX.length)] = value;
  }
  const encoding = header(req, 'content-encoding')
    ?.split(',')
    .map((e) => e.trim())
    .filter((e) => e && e !== 'aws-chunked')
    .join(', ');
  return {
    contentType: header(req, 'content-type'),
    metadata,
    contentEncoding: encoding || undefined,
    contentDisposition: header(req, 'content-disposition'),
    cacheControl: header(req, 'cache-control'),
    contentMd5: header(req, 'content-md5'),
  };
}

/** Response headers describing an object (GetObject, HeadObject), with response-* query overrides. */
export function objectHeaders(info: ObjectMeta, query: URLSearchParams): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': info.contentType || 'binary/octet-stream',
    etag: info.etag,
    'last-modified': info.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
  };
  if (info.contentEncoding) headers['content-encoding'] = info.contentEncoding;
  if (info.contentDisposition) headers['content-disposition'] = info.contentDisposition;
  if (info.cacheControl) headers['cache-control'] = info.cacheControl;
  for (const [name, value] of Object.entries(info.metadata)) headers[`${META_PREFIX}${name}`] = value;
  for (const [param, name] of Object.entries(OVERRIDES)) {
    const value = query.get(param);
    if (value !== null) headers[name] = value;
  }
  return headers;
}

/** One request header as a string, if present. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
