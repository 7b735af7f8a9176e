/**
 * The signature a received request should carry, computed from @smithy/signature-v4's own steps
 * (canonical headers, canonical request, string to sign, signing key) over exactly the headers the
 * client signed. Its `sign()` is not used for received requests: it drops a `Date` header before
 * signing (the specification lets `Date` date a request instead of `X-Amz-Date`, and botocore signs
 * that way when a request carries `Date`), and per call it clones the request and derives the
 * signing key's cache key with an extra HMAC, a large share of a no-op Invoke's time in the server.
 */
import { createHmac } from 'node:crypto';
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
   * signed), dated `longDate` (`20240101T000000Z`), over `payloadHash`.
   */
  async signatureOf(
    request: SignableRequest,
    signedHeaders: Set<string>,
    longDate: string,
    payloadHash: string,
  ): Promise<string> {
    const shortDate = longDate.slice(0, 8);
    const canonicalHeaders = getCanonicalHeaders(request, undefined, signedHeaders);
    const canonicalRequest = this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
    const scope = createScope(shortDate, this.#region, this.#service);
    const stringToSign = await this.createStringToSign(longDate, scope, canonicalRequest, ALGORITHM);
    return createHmac('sha256', await this.#keyOf(shortDate))
      .update(stringToSign)
      .digest('hex');
  }

  async #keyOf(shortDate: string): Promise<Uint8Array> {
    let key = this.#keys.get(shortDate);
    if (!key) {
      key = await getSigningKey(NodeSha256, this.#credentials, shortDate, this.#region, this.#service);
      if (this.#keys.size >= MAX_KEYS) this.#keys.clear();
      this.#keys.set(shortDate, key);
    }
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
