/**
 * Raw HTTP for the hostile-input suite: requests go out byte-for-byte as generated (no URL
 * normalization, so `..`, `//` and `%zz` reach the server), optionally SigV4-signed for the engine's
 * default credentials, and each answer is checked for its protocol's error shape.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** The protocol a request speaks, which decides the shape of its error answers. */
export type Protocol = 'lambda' | 'json' | 'cbor' | 'sqs-query' | 's3' | 'native' | 'url';

/** How a request is signed: validly, not at all, or with garbage after a valid signature. */
export type Signing = 'valid' | 'none' | 'garbage';

/** One generated request. */
export interface HostileRequest {
  protocol: Protocol;
  /** SigV4 service name (`lambda`, `dynamodb`, `s3`, …). */
  service: string;
  method: string;
  /** The raw request target: path and query exactly as sent. */
  target: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signing: Signing;
}

/** What came back. */
export interface HostileAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** Sends `r` to `port` and reads the whole answer. Rejects on a socket error or a 10 s stall. */
export async function sendRaw(port: number, r: HostileRequest): Promise<HostileAnswer> {
  const body = r.body === undefined ? undefined : Buffer.from(r.body);
  const headers = await signed(port, r, body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: r.method, path: r.target, headers, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Why an error answer does not have its protocol's shape, or undefined when it does (or is no error).
 * S3 and the SQS query protocol answer XML with a <Code>; the JSON protocols `__type`; Lambda REST an
 * x-amzn-ErrorType header; the native API `{error: {code}}`.
 */
export function shapeProblem(r: HostileRequest, answer: HostileAnswer): string | undefined {
  if (answer.status < 400 || r.method === 'HEAD') return undefined;
  const text = answer.body.toString('utf8');
  const json = parseJson(text);
  switch (r.protocol) {
    case 's3':
    case 'sqs-query':
      return /<Code>[^<]+<\/Code>/.test(text) ? undefined : 'no XML <Code>';
    case 'json':
      return typeof json?.__type === 'string' ? undefined : 'no JSON __type';
    case 'cbor':
      return answer.headers['content-type'] === 'application/x-amz-cbor-1.1' || typeof json?.__type === 'string'
        ? undefined
        : 'not a CBOR or JSON error';
    case 'lambda':
      return answer.headers['x-amzn-errortype'] && json ? undefined : 'no x-amzn-ErrorType with a JSON body';
    case 'native': {
      const error = json?.error as { code?: unknown } | undefined;
      return typeof error?.code === 'string' ? undefined : 'no native {error: {code}}';
    }
    case 'url':
      return undefined;
  }
}

/** Every path under `dir` (relative, sorted), skipping the subtree `skip`. */
export async function snapshotTree(dir: string, skip: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (path === skip || path.startsWith(`${skip}/`)) continue;
    out.push(path.slice(dir.length));
  }
  return out.sort();
}

async function signed(port: number, r: HostileRequest, body: Buffer | undefined): Promise<Record<string, string>> {
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, ...r.headers };
  if (body) headers['content-length'] = String(body.length);
  if (r.signing === 'none') return headers;
  const payloadHash =
    r.service === 's3'
      ? 'UNSIGNED-PAYLOAD'
      : createHash('sha256')
          .update(body ?? '')
          .digest('hex');
  if (r.service === 's3') headers['x-amz-content-sha256'] ??= payloadHash;
  const q = r.target.indexOf('?');
  const signer = new SignatureV4({
    service: r.service,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    sha256: Sha256,
    uriEscapePath: r.service !== 's3',
    applyChecksum: false,
  });
  const out = await signer.sign(
    {
      method: r.method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      port,
      path: q < 0 ? r.target : r.target.slice(0, q),
      query: q < 0 ? {} : queryOf(r.target.slice(q + 1)),
      headers,
      body: r.service === 's3' ? undefined : body,
    },
    { signableHeaders: new Set(Object.keys(headers).map((name) => name.toLowerCase())) },
  );
  const result = Object.fromEntries(Object.entries(out.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  if (r.signing === 'garbage') result.authorization = `${result.authorization}, junk`;
  return result;
}

function queryOf(text: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const part of text.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const value = safeDecode(eq < 0 ? '' : part.slice(eq + 1));
    const previous = query[name];
    query[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return query;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Malformed on purpose: the server must refuse it, whatever the signature says.
    return text;
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
