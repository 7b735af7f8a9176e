/**
 * AWS Signature Version 4 verification for the wire adapters: Authorization headers and presigned
 * URLs. The expected signature is computed by @smithy/signature-v4 (the SDK's own signer) over the
 * request as received, and compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { SignatureV4 } from '@smithy/signature-v4';
import type { Credentials } from '../../shared/context.js';
import { InvalidUri, PresignedQueryError, SignatureError } from './errors.js';
import { longDateOf, RequestSigner } from './sigv4-signer.js';

/** The signing scope of a verified request: what chunk and trailer signatures chain from. */
export interface SigningScope {
  accessKeyId: string;
  /** `20240101T000000Z` */
  longDate: string;
  region: string;
  service: string;
  /** The request's signature (the seed of aws-chunked chunk signatures). */
  signature: string;
  signer: SignatureV4;
  signingDate: Date;
}

/** Options of `verifySigV4`. */
export interface VerifyOptions {
  /** Accept requests that carry no signature at all (default false: they are AccessDenied). */
  anonymous?: boolean;
  /** Clock used for presigned URL expiry (tests). */
  now?: Date;
}

/** The x-amz-content-sha256 value meaning "payload not signed". */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

const ALGORITHM = 'AWS4-HMAC-SHA256';
type AuthField = 'Credential' | 'SignedHeaders' | 'Signature';
/** The Authorization header as the SDKs and the CLI write it, read in one match; any other is split up. */
const SDK_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^,\s]+), ?SignedHeaders=([^,\s]+), ?Signature=([0-9a-f]{64})$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
// Header names (HTTP/2 clients sign the `:authority` pseudo-header), `;`-separated.
const SIGNED_HEADERS = /^:?[a-z0-9!#$%&'*+.^_`|~-]+(;:?[a-z0-9!#$%&'*+.^_`|~-]+)*$/;
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGNED_SECONDS = 7 * 24 * 60 * 60;

/**
 * Verifies the SigV4 signature of `req` (Authorization header or presigned query) against
 * `credentials`. `payloadHash` is the signed payload hash: the x-amz-content-sha256 value for S3,
 * the hex SHA-256 of the body for JSON services, or UNSIGNED-PAYLOAD.
 * Returns the signing scope, or undefined for an allowed anonymous request.
 * @throws SignatureError: AccessDenied (no signature, expired URL), InvalidAccessKeyId, SignatureDoesNotMatch.
 */
export async function verifySigV4(
  req: IncomingMessage,
  url: URL,
  payloadHash: string,
  credentials: Credentials,
  options: VerifyOptions = {},
): Promise<SigningScope | undefined> {
  // `searchParams` is built on first use: most requests have no query at all.
  const presigned = url.search !== '' && url.searchParams.has('X-Amz-Signature');
  const auth = presigned ? presignedAuth(url, options.now ?? new Date()) : headerAuth(req);
  if (!auth) {
    if (options.anonymous) return undefined;
    throw new SignatureError('AccessDenied', 'Access Denied: the request carries no AWS Signature Version 4');
  }
  if (auth.accessKeyId !== credentials.accessKeyId) {
    throw new SignatureError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  }
  const signingDate = parseAmzDate(auth.longDate);
  if (!presigned && Math.abs((options.now?.getTime() ?? Date.now()) - signingDate.getTime()) > MAX_SKEW_MS) {
    throw new SignatureError(
      'AccessDenied',
      'The difference between the request time and the current time is too large.',
    );
  }
  const signer = signerFor(auth.service, auth.region, credentials);
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = req.headers[name];
    if (value === undefined) {
      throw new SignatureError('SignatureDoesNotMatch', `Signed header ${name} is missing from the request`);
    }
    headers[name] = signedText(Array.isArray(value) ? value.join(',') : value);
  }
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of rawQuery(req.url ?? '/')) {
    if (presigned && name === 'X-Amz-Signature') continue;
    const previous = query[name];
    query[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  const request = {
    method: req.method ?? 'GET',
    protocol: 'http:',
    hostname: 'localhost',
    path: rawPath(req.url ?? '/'),
    query,
    headers,
  };
  let expected: string;
  if (!presigned) {
    // Only what was signed goes into the canonical headers; a signed payload hash header stands for
    // the payload as received.
    if ('x-amz-content-sha256' in headers) headers['x-amz-content-sha256'] = payloadHash;
    const shortDate = auth.longDate.slice(0, 8);
    const key = signer.signingKeyOf(shortDate) ?? (await signer.deriveSigningKey(shortDate));
    expected = signer.signatureOf(request, new Set(auth.signedHeaders), auth.longDate, payloadHash, key);
  } else {
    const unsignable = new Set<string>();
    if (!('x-amz-content-sha256' in headers)) unsignable.add('x-amz-content-sha256');
    if (!('x-amz-date' in headers)) unsignable.add('x-amz-date');
    headers['x-amz-content-sha256'] = UNSIGNED_PAYLOAD;
    const signed = await signer.sign(request, {
      signingDate,
      signingRegion: auth.region,
      signingService: auth.service,
      signableHeaders: new Set(auth.signedHeaders),
      unsignableHeaders: unsignable,
    });
    expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? '';
  }
  if (!sameHex(expected, auth.signature)) {
    throw new SignatureError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
  return { ...auth, signer, signingDate };
}

/** The region, service and date in a request's credential scope, without verifying anything. */
export function credentialScopeOf(req: IncomingMessage, url: URL): { region: string; service: string } | undefined {
  const credential =
    url.searchParams.get('X-Amz-Credential') ??
    /Credential=([^,\s]+)/.exec(String(req.headers.authorization ?? ''))?.[1];
  const [, , region, service, terminator] = credential?.split('/') ?? [];
  return region && service && terminator === 'aws4_request' ? { region, service } : undefined;
}

// Signers by service, region and credentials: a signer caches its derived signing keys (a chain of
// four HMACs per day), which a fresh signer per request would recompute every time.
const signers = new Map<string, RequestSigner>();
const MAX_SIGNERS = 64;

function signerFor(service: string, region: string, credentials: Credentials): RequestSigner {
  const key = `${service}\n${region}\n${credentials.accessKeyId}\n${credentials.secretAccessKey}`;
  let signer = signers.get(key);
  if (!signer) {
    signer = new RequestSigner({
      service,
      region,
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
      // S3 signs the path as sent; every other service signs it encoded once more.
      uriEscapePath: service !== 's3',
    });
    if (signers.size >= MAX_SIGNERS) signers.clear();
    signers.set(key, signer);
  }
  return signer;
}

interface ParsedAuth {
  accessKeyId: string;
  longDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  /** Dated by the signed `Date` header (no X-Amz-Date). */
  datedByDateHeader?: boolean;
}

function headerAuth(req: IncomingMessage): ParsedAuth | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  if (!header.startsWith(`${ALGORITHM} `)) {
    throw new SignatureError('AccessDenied', 'Only AWS Signature Version 4 (AWS4-HMAC-SHA256) is supported');
  }
  const fields: Partial<Record<AuthField, string>> = {};
  const usual = SDK_AUTHORIZATION.exec(header);
  if (usual) {
    fields.Credential = usual[1];
    fields.SignedHeaders = usual[2];
    fields.Signature = usual[3];
  }
  for (const part of usual ? [] : header.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, Math.max(eq, 0)).trim();
    // Exactly Credential, SignedHeaders and Signature, once each: anything else is not a signature.
    if (eq <= 0 || !isAuthField(name) || fields[name] !== undefined) {
      throw new SignatureError('AuthorizationHeaderMalformed', 'The authorization header is malformed');
    }
    fields[name] = part.slice(eq + 1).trim();
  }
  const amzDate = req.headers['x-amz-date'];
  const signedHeaders = fields.SignedHeaders;
  // Without X-Amz-Date the signed Date header dates the request, as the specification allows.
  const dateHeader = req.headers.date;
  const datedByDateHeader =
    amzDate === undefined &&
    dateHeader !== undefined &&
    (signedHeaders ?? '').toLowerCase().split(';').includes('date');
  const longDate = datedByDateHeader ? (longDateOf(dateHeader) ?? '') : String(amzDate ?? '');
  const parts = parseParts(fields.Credential, signedHeaders, fields.Signature, longDate);
  return datedByDateHeader ? { ...parts, datedByDateHeader } : parts;
}

function isAuthField(name: string): name is AuthField {
  return name === 'Credential' || name === 'SignedHeaders' || name === 'Signature';
}

function presignedAuth(url: URL, now: Date): ParsedAuth {
  const params = url.searchParams;
  if (params.get('X-Amz-Algorithm') !== ALGORITHM) {
    throw new SignatureError('AuthorizationHeaderMalformed', 'X-Amz-Algorithm must be AWS4-HMAC-SHA256');
  }
  const longDate = params.get('X-Amz-Date') ?? '';
  const expires = presignedExpiry(params.get('X-Amz-Expires'));
  const auth = parseParts(
    params.get('X-Amz-Credential') ?? undefined,
    params.get('X-Amz-SignedHeaders') ?? undefined,
    params.get('X-Amz-Signature') ?? undefined,
    longDate,
  );
  if (parseAmzDate(longDate).getTime() + expires * 1000 < now.getTime()) {
    throw new SignatureError('AccessDenied', 'Request has expired');
  }
  return auth;
}

/** X-Amz-Expires as S3 bounds it: whole seconds, 0 to 604800 (seven days). */
function presignedExpiry(value: string | null): number {
  const expires = Number(value ?? Number.NaN);
  if (value === null || value.trim() === '' || !Number.isInteger(expires)) {
    throw new PresignedQueryError('X-Amz-Expires should be a number');
  }
  if (expires < 0) throw new PresignedQueryError('X-Amz-Expires must be non-negative');
  if (expires > MAX_PRESIGNED_SECONDS) {
    throw new PresignedQueryError(
      `X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGNED_SECONDS}`,
    );
  }
  return expires;
}

function parseParts(
  credential: string | undefined,
  signedHeaders: string | undefined,
  signature: string | undefined,
  longDate: string,
): ParsedAuth {
  const [accessKeyId = '', day = '', region = '', service = '', terminator, ...extra] = credential?.split('/') ?? [];
  if (terminator !== 'aws4_request' || extra.length > 0 || !signedHeaders || !signature) {
    throw new SignatureError('AuthorizationHeaderMalformed', 'The authorization header is malformed');
  }
  if (!SIGNATURE.test(signature) || !SIGNED_HEADERS.test(signedHeaders.toLowerCase())) {
    throw new SignatureError('AuthorizationHeaderMalformed', 'The signature or its signed headers are malformed');
  }
  if (!/^\d{8}T\d{6}Z$/.test(longDate) || !longDate.startsWith(day)) {
    throw new SignatureError(
      'AuthorizationHeaderMalformed',
      'X-Amz-Date is missing or does not match the credential scope',
    );
  }
  return {
    accessKeyId,
    region,
    service,
    signedHeaders: signedHeaders.split(';').map((name) => name.toLowerCase()),
    signature,
    longDate,
  };
}

/** `20240101T000000Z` as a Date; its shape was checked by `parseParts`. */
function parseAmzDate(longDate: string): Date {
  const digits = (from: number, to: number) => Number(longDate.slice(from, to));
  return new Date(
    Date.UTC(digits(0, 4), digits(4, 6) - 1, digits(6, 8), digits(9, 11), digits(11, 13), digits(13, 15)),
  );
}

/**
 * A header value as the client signed it: Node reads header bytes one per character (latin1), while
 * a signature covers the bytes, which clients send as UTF-8.
 */
function signedText(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for bytes past ASCII
  return /[^\x00-\x7f]/.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
}

function rawPath(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}

/** Query pairs decoded once, in order (the signer re-encodes them canonically). */
function rawQuery(target: string): Array<[string, string]> {
  const q = target.indexOf('?');
  if (q < 0) return [];
  const pairs: Array<[string, string]> = [];
  for (const part of target.slice(q + 1).split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    pairs.push([decodeComponent(name), decodeComponent(value)]);
  }
  return pairs;
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch (err) {
    throw new InvalidUri(`Couldn't parse the specified URI: ${text}`, { cause: err });
  }
}

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
