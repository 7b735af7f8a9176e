/**
 * SigV4 for requests dated by the `Date` header instead of `X-Amz-Date` (the specification allows
 * either; botocore signs that way when a request carries `Date`). @smithy/signature-v4's `sign()`
 * drops a `Date` header before signing, so the signature is computed from the library's own steps
 * (canonical headers, canonical request, string to sign, signing key) with the `date` header kept.
 */
import { createHmac } from 'node:crypto';
import { createScope, getCanonicalHeaders, getSigningKey, SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../shared/node-sha256.js';

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** A request as the signer reads it. */
type SignableRequest = Parameters<typeof getCanonicalHeaders>[0];

/** A signer that also computes signatures over a request whose signed headers include `date`. */
export class DateHeaderSigner extends SignatureV4 {
  readonly #service: string;
  readonly #region: string;
  readonly #credentials: { accessKeyId: string; secretAccessKey: string };

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
   * The hex signature of `request` (its headers exactly the signed ones), dated `longDate`
   * (`20240101T000000Z`), over `payloadHash`.
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
    const key = await getSigningKey(NodeSha256, this.#credentials, shortDate, this.#region, this.#service);
    return createHmac('sha256', key).update(stringToSign).digest('hex');
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
