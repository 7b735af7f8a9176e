/** Object metadata as S3 headers, both ways: request headers → put options, object info → response headers. */
import type { IncomingMessage } from 'node:http';
import type { ObjectInfo, PutOptions, TagSet } from '../../../storage/objects/index.js';
import { S3Error } from './errors.js';

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

// An RFC 2047 encoded word: =?charset?B|Q?text?=
const ENCODED_WORD = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;

/** Put options from a request's headers; aws-chunked is a transfer detail, not the object's encoding. */
export function putHeadersOf(req: IncomingMessage): PutHeaders {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(META_PREFIX) && typeof value === 'string') {
      metadata[name.slice(META_PREFIX.length)] = decodeHeaderText(value);
    }
  }
  const tagging = header(req, 'x-amz-tagging');
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
    contentLanguage: header(req, 'content-language'),
    expires: header(req, 'expires'),
    contentMd5: header(req, 'content-md5'),
    ...(tagging !== undefined ? { tags: tagsOfHeader(tagging) } : {}),
  };
}

/** The tags of an `x-amz-tagging` header (URL query form: `k1=v1&k2=v2`). @throws S3Error InvalidArgument */
export function tagsOfHeader(value: string): TagSet {
  const tags: TagSet = [];
  for (const [key, tagValue] of new URLSearchParams(value)) tags.push({ key, value: tagValue });
  if (value !== '' && tags.length === 0) throw new S3Error('InvalidArgument', 'The header x-amz-tagging is not valid');
  return tags;
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
  if (info.contentLanguage) headers['content-language'] = info.contentLanguage;
  if (info.expires) headers.expires = info.expires;
  if (info.versionId !== undefined) headers['x-amz-version-id'] = info.versionId;
  if (info.tagCount) headers['x-amz-tagging-count'] = String(info.tagCount);
  for (const [name, value] of Object.entries(info.metadata)) headers[`${META_PREFIX}${name}`] = encodeHeaderText(value);
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

/**
 * A header value as text: RFC 2047 encoded words (`=?UTF-8?B?…?=`) decoded, and raw UTF-8 bytes (which
 * Node hands over one byte per character) read as UTF-8 when they are valid UTF-8.
 */
export function decodeHeaderText(value: string): string {
  if (value.includes('=?')) {
    return value.replace(ENCODED_WORD, (word, charset: string, kind: string, text: string) => {
      if (charset.toLowerCase() !== 'utf-8') return word;
      const bytes =
        kind.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(
              text
                .replace(/_/g, ' ')
                .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
              'latin1',
            );
      return bytes.toString('utf8');
    });
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for bytes past ASCII
  if (!/[^\x00-\x7f]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : value;
}

/** A stored value as a header: non-ASCII text becomes one RFC 2047 encoded word, as S3 answers it. */
export function encodeHeaderText(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for characters past ASCII
  return /[^\x00-\x7f]/.test(value) ? `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=` : value;
}
