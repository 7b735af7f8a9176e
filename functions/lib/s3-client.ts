/**
 * A small S3 client for handlers: fast against the local engine (path-style, keep-alive fetch,
 * unsigned payloads) and correct against real S3 (SigV4, virtual-hosted buckets). Configuration
 * comes from the standard environment: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION,
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
 */
import type { IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { XMLParser } from 'fast-xml-parser';
import { NodeSha256 } from '../../src/shared/node-sha256.js';
import { httpGet } from './http-get.js';

/** An inclusive byte range, as in the HTTP Range header; `end` omitted reads to the end. */
export interface ByteRange {
  start?: number;
  end?: number;
}

/** What `headObject` answers. */
export interface ObjectHead {
  size: number;
  etag: string;
  contentType: string;
  lastModified: Date;
}

/** One listed object. */
export interface ListedKey {
  key: string;
  size: number;
  etag: string;
}

/** Options of `listObjects`. */
export interface ListOptions {
  prefix?: string;
  continuationToken?: string;
  maxKeys?: number;
}

/** Options of `putObject`. */
export interface PutObjectOptions {
  contentType?: string;
  /** Required by real S3 for streamed bodies; the local engine also accepts chunked uploads. */
  contentLength?: number;
}

/** A body `putObject` accepts. */
export type ObjectBody = Uint8Array | string | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Client settings; `fromEnvironment` reads them from the process environment. */
export interface S3ClientConfig {
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** An object GET fails with S3Error 'RequestTimeout' when its socket is silent this long (default 60 s). */
  idleTimeoutMs?: number;
}

/** An S3 error answer, with its S3 code (NoSuchKey, NoSuchBucket, …) and HTTP status. */
export class S3Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'S3Error';
  }
}

const IDLE_TIMEOUT_MS = 60_000;

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'Contents' });

/** Client bound to one configuration; the module-level functions use one built from the environment. */
export class S3Client {
  readonly #config: S3ClientConfig;
  readonly #signer: SignatureV4;
  readonly #endpoint?: URL;

  constructor(config: S3ClientConfig) {
    this.#config = config;
    this.#endpoint = config.endpoint ? new URL(config.endpoint) : undefined;
    this.#signer = new SignatureV4({
      service: 's3',
      region: config.region,
      // node:crypto: the signer's pure-JavaScript SHA-256 cost ~20 µs more CPU per signed request.
      sha256: NodeSha256,
      uriEscapePath: false,
      applyChecksum: false,
      credentials: {
        accessKeyId: config.accessKeyId,
        secretAccessKey: config.secretAccessKey,
        sessionToken: config.sessionToken,
      },
    });
  }

  /** Reads an object (or an inclusive byte range of it) into memory. @throws S3Error (NoSuchKey, InvalidRange …) */
  async getObject(bucket: string, key: string, range: ByteRange = {}): Promise<Uint8Array> {
    const res = await this.#get(bucket, key, range);
    const length = Number(res.headers['content-length']);
    if (!Number.isSafeInteger(length)) {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    }
    // One buffer of the announced size, filled as chunks arrive: no list of chunks, no second copy.
    const body = Buffer.allocUnsafe(length);
    let filled = 0;
    for await (const chunk of res) {
      const c = chunk as Buffer;
      if (filled + c.length > length)
        throw new S3Error('IncompleteBody', `GET s3://${bucket}/${key}: body longer than Content-Length`, 200);
      c.copy(body, filled);
      filled += c.length;
    }
    if (filled !== length)
      throw new S3Error('IncompleteBody', `GET s3://${bucket}/${key}: body ended at ${filled} of ${length} bytes`, 200);
    return body;
  }

  /**
   * Reads an object (or an inclusive byte range of it) as the socket delivers it: Buffers of up to
   * 64 KB each, nothing joined or copied. Breaking out of the loop closes the connection.
   * @throws S3Error (NoSuchKey, InvalidRange …)
   */
  async *getObjectChunks(bucket: string, key: string, range: ByteRange = {}): AsyncGenerator<Buffer> {
    const res = await this.#get(bucket, key, range);
    const length = Number(res.headers['content-length']);
    let seen = 0;
    for await (const chunk of res) {
      seen += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (Number.isSafeInteger(length) && seen !== length)
      throw new S3Error('IncompleteBody', `GET s3://${bucket}/${key}: body ended at ${seen} of ${length} bytes`, 200);
  }

  /** Streams an object (or an inclusive byte range of it). @throws S3Error */
  async getObjectStream(bucket: string, key: string, range: ByteRange = {}): Promise<ReadableStream<Uint8Array>> {
    const res = await this.#send('GET', bucket, key, {}, rangeHeader(range));
    return res.body ?? new ReadableStream({ start: (c) => c.close() });
  }

  /** Size, ETag (quoted), Content-Type and Last-Modified of an object. @throws S3Error (NoSuchKey) */
  async headObject(bucket: string, key: string): Promise<ObjectHead> {
    const res = await this.#send('HEAD', bucket, key);
    return {
      size: Number(res.headers.get('content-length') ?? 0),
      etag: res.headers.get('etag') ?? '',
      contentType: res.headers.get('content-type') ?? 'application/octet-stream',
      lastModified: new Date(res.headers.get('last-modified') ?? 0),
    };
  }

  /** Writes a whole object; returns its ETag. @throws S3Error (NoSuchBucket …) */
  async putObject(
    bucket: string,
    key: string,
    body: ObjectBody,
    options: PutObjectOptions = {},
  ): Promise<{ etag: string }> {
    const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/octet-stream' };
    let payload: BodyInit;
    if (typeof body === 'string' || body instanceof Uint8Array) {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      headers['content-length'] = String(bytes.byteLength);
      payload = bytes as BodyInit;
    } else {
      if (options.contentLength !== undefined) headers['content-length'] = String(options.contentLength);
      // undici's fetch streams any async iterable body.
      payload = body as unknown as BodyInit;
    }
    const res = await this.#send('PUT', bucket, key, {}, headers, payload);
    await res.body?.cancel();
    return { etag: res.headers.get('etag') ?? '' };
  }

  /** Deletes an object (deleting a missing key succeeds, as in S3). @throws S3Error (NoSuchBucket) */
  async deleteObject(bucket: string, key: string): Promise<void> {
    const res = await this.#send('DELETE', bucket, key);
    await res.body?.cancel();
  }

  /** One page of a ListObjectsV2 listing. @throws S3Error (NoSuchBucket) */
  async listObjects(
    bucket: string,
    options: ListOptions = {},
  ): Promise<{ keys: ListedKey[]; nextContinuationToken?: string }> {
    const query: Record<string, string> = { 'list-type': '2' };
    if (options.prefix) query.prefix = options.prefix;
    if (options.continuationToken) query['continuation-token'] = options.continuationToken;
    if (options.maxKeys !== undefined) query['max-keys'] = String(options.maxKeys);
    const res = await this.#send('GET', bucket, '', query);
    const doc = xml.parse(await res.text()) as {
      ListBucketResult?: {
        Contents?: Array<{ Key: string; Size: string; ETag: string }>;
        IsTruncated?: string;
        NextContinuationToken?: string;
      };
    };
    const result = doc.ListBucketResult ?? {};
    return {
      keys: (result.Contents ?? []).map((c) => ({ key: String(c.Key), size: Number(c.Size), etag: String(c.ETag) })),
      nextContinuationToken: result.IsTruncated === 'true' ? result.NextContinuationToken : undefined,
    };
  }

  /** Every object under a prefix, page by page. @throws S3Error (NoSuchBucket) */
  async *listAll(bucket: string, prefix = ''): AsyncGenerator<ListedKey> {
    let continuationToken: string | undefined;
    do {
      const page = await this.listObjects(bucket, { prefix, continuationToken });
      yield* page.keys;
      continuationToken = page.nextContinuationToken;
    } while (continuationToken);
  }

  /** A signed GET over node:http(s) (see http-get.ts), failing after `idleTimeoutMs` of silence. */
  async #get(bucket: string, key: string, range: ByteRange): Promise<IncomingMessage> {
    const { url, host, path } = this.#locate(bucket, key);
    const signed = await this.#signer.sign({
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path,
      query: {},
      headers: { ...rangeHeader(range), host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const idleTimeoutMs = this.#config.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
    const res = await httpGet({
      url,
      path,
      headers: signed.headers,
      idleTimeoutMs,
      timeoutError: () =>
        new S3Error('RequestTimeout', `GET s3://${bucket}/${key}: no data from the server for ${idleTimeoutMs} ms`, 0),
    });
    if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) return res;
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    throw errorFrom(res.statusCode ?? 0, text, 'GET', bucket, key);
  }

  async #send(
    method: string,
    bucket: string,
    key: string,
    query: Record<string, string> = {},
    headers: Record<string, string> = {},
    body?: BodyInit,
  ): Promise<Response> {
    const { url, host, path } = this.#locate(bucket, key);
    const signed = await this.#signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path,
      query,
      headers: { ...headers, host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const search = Object.entries(query)
      .map(([name, value]) => `${rfc3986(name)}=${rfc3986(value)}`)
      .join('&');
    const signedHeaders = { ...signed.headers };
    delete signedHeaders.host;
    const init: RequestInit & { duplex?: 'half' } = { method, headers: signedHeaders, body };
    if (body !== undefined && !(body instanceof Uint8Array)) init.duplex = 'half';
    const res = await fetch(`${url.origin}${path}${search ? `?${search}` : ''}`, init);
    if (res.ok) return res;
    throw await errorOf(res, method, bucket, key);
  }

  #locate(bucket: string, key: string): { url: URL; host: string; path: string } {
    const encodedKey = key ? `/${encodeKey(key)}` : '';
    if (this.#endpoint) {
      const base = this.#endpoint.pathname.replace(/\/$/, '');
      return { url: this.#endpoint, host: this.#endpoint.host, path: `${base}/${bucket}${encodedKey}` };
    }
    const host = `${bucket}.s3.${this.#config.region}.amazonaws.com`;
    return { url: new URL(`https://${host}`), host, path: encodedKey || '/' };
  }
}

let shared: S3Client | undefined;

/** Client settings from the process environment (defaults fit the local engine). */
export function fromEnvironment(env: NodeJS.ProcessEnv = process.env): S3ClientConfig {
  return {
    endpoint: env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    accessKeyId: env.AWS_ACCESS_KEY_ID || 'test',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY || 'test',
    sessionToken: env.AWS_SESSION_TOKEN || undefined,
  };
}

/** The process-wide client, built from the environment on first use. */
export function defaultClient(): S3Client {
  shared ??= new S3Client(fromEnvironment());
  return shared;
}

/** See S3Client.getObject. */
export function getObject(bucket: string, key: string, range?: ByteRange): Promise<Uint8Array> {
  return defaultClient().getObject(bucket, key, range);
}

/** See S3Client.getObjectChunks. */
export function getObjectChunks(bucket: string, key: string, range?: ByteRange): AsyncGenerator<Buffer> {
  return defaultClient().getObjectChunks(bucket, key, range);
}

/** See S3Client.getObjectStream. */
export function getObjectStream(bucket: string, key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
  return defaultClient().getObjectStream(bucket, key, range);
}

/** See S3Client.headObject. */
export function headObject(bucket: string, key: string): Promise<ObjectHead> {
  return defaultClient().headObject(bucket, key);
}

/** See S3Client.putObject. */
export function putObject(
  bucket: string,
  key: string,
  body: ObjectBody,
  options?: PutObjectOptions,
): Promise<{ etag: string }> {
  return defaultClient().putObject(bucket, key, body, options);
}

/** See S3Client.deleteObject. */
export function deleteObject(bucket: string, key: string): Promise<void> {
  return defaultClient().deleteObject(bucket, key);
}

/** See S3Client.listObjects. */
export function listObjects(
  bucket: string,
  options?: ListOptions,
): Promise<{ keys: ListedKey[]; nextContinuationToken?: string }> {
  return defaultClient().listObjects(bucket, options);
}

/** See S3Client.listAll. */
export function listAll(bucket: string, prefix?: string): AsyncGenerator<ListedKey> {
  return defaultClient().listAll(bucket, prefix);
}

/** RFC 3986 encoding of each path segment, as S3 signs keys (slashes kept). */
export function encodeKey(key: string): string {
  return key.split('/').map(rfc3986).join('/');
}

function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function rangeHeader({ start, end }: ByteRange): Record<string, string> {
  if (start === undefined && end === undefined) return {};
  return { range: `bytes=${start ?? 0}-${end ?? ''}` };
}

async function errorOf(res: Response, method: string, bucket: string, key: string): Promise<S3Error> {
  const text = method === 'HEAD' ? '' : await res.text();
  return errorFrom(res.status, text, method, bucket, key);
}

function errorFrom(status: number, text: string, method: string, bucket: string, key: string): S3Error {
  const error = text ? (xml.parse(text) as { Error?: { Code?: string; Message?: string } }).Error : undefined;
  const code = error?.Code ?? headCode(status);
  return new S3Error(code, error?.Message ?? `${method} s3://${bucket}/${key} failed with ${status}`, status);
}

function headCode(status: number): string {
  if (status === 404) return 'NotFound';
  if (status === 403) return 'AccessDenied';
  if (status === 412) return 'PreconditionFailed';
  if (status === 304) return 'NotModified';
  return `Http${status}`;
}
