/**
 * The signature a received request should carry, computed from @smithy/signature-v4's own steps
 * (canonical headers, canonical request, signing key) over exactly the headers the client signed.
 * Its `sign()` is not used for received requests: it drops a `Date` header before signing (the
 * specification lets `Date` date a request instead of `X-Amz-Date`, and botocore signs that way
 * when a request carries `Date`), and per call it clones the request and derives the signing key's
 * cache key with an extra HMAC, a large share of a no-op Invoke's time in the server. The string to
 * sign (four lines, the last the canonical request's SHA-256) is hashed with node:crypto's one-shot
 * `hash` and signed synchronously: the signer's own path awaits its hash interface twice per request.
 */
import { createHmac, hash } from 'node:crypto';
import { createScope, getCanonicalHeaders, getSigningKey, SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../shared/node-sha256.js';

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** A request as the signer reads it. */
type SignableRequest = Parameters<typeof getCanonicalHeaders>[0];

/** Signing keys kept per signer (one per day of the requests' dates). */
const MAX_KEYS = 4;

/** A signer (for one service, region and credentials) that computes the signature of a received request. */
export class RequestSigner extends SignatureV4 {
  readonly #service: string;
  readonly #region: string;
  readonly #credentials: { accessKeyId: string; secretAccessKey: string };
  /** Signing keys by short date: a chain of four HMACs each, the same for every request of the day. */
  readonly #keys = new Map<string, Uint8Array>();

  constructor(options: {
    service: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    uriEscapePath: boolean;
  }) {
    super({ ...options, sha256: NodeSha256, applyChecksum: false });
    this.#service = options.service;
    this.#region = options.region;
    this.#credentials = options.credentials;
  }

  /**
   * The hex signature of `request` (its headers exactly the signed ones, with their values as
   * signed), dated `longDate` (`20240101T000000Z`), over `payloadHash`, made with `signingKey`
   * (`signingKeyOf` the request's day).
   */
  signatureOf(
    request: SignableRequest,
    signedHeaders: Set<string>,
    longDate: string,
    payloadHash: string,
    signingKey: Uint8Array,
  ): string {
    const canonicalHeaders = getCanonicalHeaders(request, undefined, signedHeaders);
    const canonicalRequest = this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
    const scope = createScope(longDate.slice(0, 8), this.#region, this.#service);
    const stringToSign = `${ALGORITHM}\n${longDate}\n${scope}\n${hash('sha256', canonicalRequest, 'hex')}`;
    return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  }

  /** The signing key of a day (`20240101`) once derived, else undefined (see `deriveSigningKey`). */
  signingKeyOf(shortDate: string): Uint8Array | undefined {
    return this.#keys.get(shortDate);
  }

  /** Derives (and keeps) the signing key of a day (`20240101`). */
  async deriveSigningKey(shortDate: string): Promise<Uint8Array> {
    const key = await getSigningKey(NodeSha256, this.#credentials, shortDate, this.#region, this.#service);
    if (this.#keys.size >= MAX_KEYS) this.#keys.clear();
    this.#keys.set(shortDate, key);
    return key;
  }
}

/** `Mon, 07 Dec 2026 01:02:03 GMT` (or any form Date parses) as SigV4's `20261207T010203Z`; undefined if not a date. */
export function longDateOf(dateHeader: string): string | undefined {
  const time = Date.parse(dateHeader);
  if (Number.isNaN(time)) return undefined;
  return new Date(time)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
