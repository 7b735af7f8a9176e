/**
 * Request bodies as S3 receives them: plain (with an optional signed SHA-256 and flexible checksum)
 * or aws-chunked (STREAMING-* content hashes: chunk signatures, trailing checksums). Every body is
 * decoded and verified as it streams, never buffered whole.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { createLogger } from '../../../shared/log.js';
import type { SigningScope } from '../sigv4.js';
import { UNSIGNED_PAYLOAD } from '../sigv4.js';
import {
  algorithmOfHeader,
  assertChecksum,
  type ChecksumAlgorithm,
  declaredChecksum,
  type RunningChecksum,
  startChecksum,
} from './checksums.js';
import { S3Error } from './errors.js';

/** A decoded request body and, once it has ended, the checksum headers to answer with. */
export interface Payload {
  body: Transform;
  /** `x-amz-checksum-<alg>` → base64 value, filled when the body ends. */
  checksums: Record<string, string>;
}

const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
const EMPTY_SHA256 = createHash('sha256').digest('hex');
const MAX_LINE = 4096;
const log = createLogger('s3');

/** The hash the request signature covers (the x-amz-content-sha256 header; unsigned when absent). */
export function payloadHashOf(req: IncomingMessage): string {
  const value = req.headers['x-amz-content-sha256'];
  return typeof value === 'string' ? value : UNSIGNED_PAYLOAD;
}

/**
 * Opens the body of `req` decoded and verified: aws-chunked framing removed, chunk and trailer
 * signatures checked against `scope`, the decoded length, SHA-256 and any flexible checksum verified
 * at the end (the stream errors with the S3 error: BadDigest, XAmzContentSHA256Mismatch, IncompleteBody,
 * SignatureDoesNotMatch).
 */
export function openPayload(req: IncomingMessage, scope: SigningScope | undefined): Payload {
  const contentHash = payloadHashOf(req);
  const declared = declaredChecksum(req.headers);
  const checksums: Record<string, string> = {};
  let body: Transform;
  if (contentHash.startsWith('STREAMING-')) {
    if (![STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER].includes(contentHash)) {
      throw new S3Error('InvalidArgument', `Unsupported x-amz-content-sha256 ${contentHash}`);
    }
    const signed = contentHash !== STREAMING_UNSIGNED_TRAILER;
    if (signed && !scope) throw new S3Error('AccessDenied', 'A signed streaming payload needs a signed request');
    const decodedLength = Number(req.headers['x-amz-decoded-content-length'] ?? Number.NaN);
    body = new AwsChunkedDecoder({
      scope: signed ? scope : undefined,
      decodedLength: Number.isFinite(decodedLength) ? decodedLength : undefined,
      checksum: declared,
      checksums,
    });
  } else {
    body = new PlainVerifier({
      sha256: /^[0-9a-f]{64}$/.test(contentHash) ? contentHash : undefined,
      checksum: declared,
      checksums,
    });
  }
  req.on('error', (err) => body.destroy(err));
  // The consumer sees the error through its own read; this keeps a late emit from going uncaught.
  body.on('error', (err) => log.debug('request body rejected', { code: (err as { code?: string }).code }));
  req.pipe(body);
  return { body, checksums };
}

interface DeclaredChecksum {
  algorithm: ChecksumAlgorithm;
  value?: string;
}

/** A plain body: passes bytes through, verifying the signed SHA-256 and a header checksum at the end. */
class PlainVerifier extends Transform {
  readonly #sha256?: { expected: string; hash: ReturnType<typeof createHash> };
  readonly #checksum?: { declared: DeclaredChecksum; running: RunningChecksum };
  readonly #out: Record<string, string>;

  constructor(options: { sha256?: string; checksum?: DeclaredChecksum; checksums: Record<string, string> }) {
    super();
    if (options.sha256) this.#sha256 = { expected: options.sha256, hash: createHash('sha256') };
    if (options.checksum)
      this.#checksum = { declared: options.checksum, running: startChecksum(options.checksum.algorithm) };
    this.#out = options.checksums;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#sha256?.hash.update(chunk);
    this.#checksum?.running.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    void (async () => {
      if (this.#sha256 && this.#sha256.hash.digest('hex') !== this.#sha256.expected) {
        throw new S3Error(
          'XAmzContentSHA256Mismatch',
          "The provided 'x-amz-content-sha256' header does not match what was computed.",
        );
      }
      if (this.#checksum) {
        const { declared, running } = this.#checksum;
        const actual = await running.digest();
        if (declared.value !== undefined) assertChecksum(declared.algorithm, declared.value, actual);
        this.#out[`x-amz-checksum-${declared.algorithm}`] = actual;
      }
    })().then(() => callback(), callback);
  }
}

type DecoderState = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

/** Removes aws-chunked framing, verifying chunk signatures, the decoded length and trailing checksums. */
class AwsChunkedDecoder extends Transform {
  readonly #scope?: SigningScope;
  readonly #decodedLength?: number;
  readonly #declared?: DeclaredChecksum;
  readonly #running?: RunningChecksum;
  readonly #out: Record<string, string>;
  #state: DecoderState = 'size';
  #pending: Buffer = Buffer.alloc(0);
  #remaining = 0;
  #chunkSignature = '';
  #chunkHash = createHash('sha256');
  #previousSignature: string;
  #decoded = 0;
  readonly #trailers = new Map<string, string>();

  constructor(options: {
    scope?: SigningScope;
    decodedLength?: number;
    checksum?: DeclaredChecksum;
    checksums: Record<string, string>;
  }) {
    super();
    this.#scope = options.scope;
    this.#previousSignature = options.scope?.signature ?? '';
    this.#decodedLength = options.decodedLength;
    this.#declared = options.checksum;
    this.#running = options.checksum ? startChecksum(options.checksum.algorithm) : undefined;
    this.#out = options.checksums;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#consume(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.#finish().then(() => callback(), callback);
  }

  async #consume(input: Buffer): Promise<void> {
    let buffer = this.#pending.length ? Buffer.concat([this.#pending, input]) : input;
    this.#pending = Buffer.alloc(0);
    while (buffer.length > 0) {
      if (this.#state === 'data') {
        const take = Math.min(this.#remaining, buffer.length);
        const piece = buffer.subarray(0, take);
        buffer = buffer.subarray(take);
        this.#remaining -= take;
        this.#decoded += take;
        this.#running?.update(piece);
        if (this.#scope) this.#chunkHash.update(piece);
        this.push(piece);
        if (this.#remaining === 0) this.#state = 'data-end';
        continue;
      }
      const eol = buffer.indexOf('\r\n');
      if (eol < 0) {
        if (buffer.length > MAX_LINE) throw incomplete('aws-chunked line too long');
        this.#pending = Buffer.from(buffer);
        return;
      }
      const line = buffer.subarray(0, eol).toString('latin1');
      buffer = buffer.subarray(eol + 2);
      await this.#line(line);
    }
  }

  async #line(line: string): Promise<void> {
    switch (this.#state) {
      case 'size': {
        const [sizeText = '', ...extensions] = line.split(';');
        const size = Number.parseInt(sizeText.trim(), 16);
        if (!Number.isFinite(size) || size < 0) throw incomplete(`Bad aws-chunked chunk size "${sizeText}"`);
        this.#chunkSignature = extensions.find((e) => e.startsWith('chunk-signature='))?.slice(16) ?? '';
        if (this.#scope && !this.#chunkSignature) throw signatureMismatch('chunk signature missing');
        this.#chunkHash = createHash('sha256');
        if (size === 0) {
          await this.#verifyChunk();
          this.#state = 'trailer';
        } else {
          this.#remaining = size;
          this.#state = 'data';
        }
        return;
      }
      case 'data-end':
        if (line !== '') throw incomplete('aws-chunked chunk is longer than declared');
        await this.#verifyChunk();
        this.#state = 'size';
        return;
      case 'trailer': {
        if (line === '') {
          this.#state = 'done';
          return;
        }
        const colon = line.indexOf(':');
        if (colon < 0) throw incomplete(`Bad trailer line "${line}"`);
        this.#trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        return;
      }
      case 'done':
        if (line !== '') throw incomplete('Data after the final aws-chunked chunk');
        return;
      case 'data':
        return;
    }
  }

  async #verifyChunk(): Promise<void> {
    if (!this.#scope) return;
    const expected = await this.#signPayload('AWS4-HMAC-SHA256-PAYLOAD', [EMPTY_SHA256, this.#chunkHash.digest('hex')]);
    if (!sameHex(expected, this.#chunkSignature)) throw signatureMismatch('chunk signature does not match');
    this.#previousSignature = expected;
  }

  async #finish(): Promise<void> {
    if (this.#state !== 'done' && !(this.#state === 'trailer' && this.#trailers.size === 0)) {
      throw incomplete('The request body ended before the final aws-chunked chunk');
    }
    if (this.#decodedLength !== undefined && this.#decoded !== this.#decodedLength) {
      throw incomplete(
        `You did not provide the number of bytes specified by x-amz-decoded-content-length (${this.#decoded} of ${this.#decodedLength})`,
      );
    }
    const trailerSignature = this.#trailers.get('x-amz-trailer-signature');
    if (this.#scope && this.#trailers.size > 0) {
      const canonical = [...this.#trailers]
        .filter(([name]) => name !== 'x-amz-trailer-signature')
        .map(([name, value]) => `${name}:${value}\n`)
        .join('');
      const expected = await this.#signPayload('AWS4-HMAC-SHA256-TRAILER', [
        createHash('sha256').update(canonical).digest('hex'),
      ]);
      if (!trailerSignature || !sameHex(expected, trailerSignature))
        throw signatureMismatch('trailer signature does not match');
    }
    if (!this.#running || !this.#declared) return;
    const actual = await this.#running.digest();
    const header = `x-amz-checksum-${this.#declared.algorithm}`;
    const sent =
      this.#declared.value ??
      [...this.#trailers].find(([name]) => algorithmOfHeader(name) === this.#declared?.algorithm)?.[1];
    if (sent === undefined) throw new S3Error('InvalidRequest', `The trailer ${header} was announced but not sent`);
    assertChecksum(this.#declared.algorithm, sent, actual);
    this.#out[header] = actual;
  }

  async #signPayload(algorithm: string, hashes: string[]): Promise<string> {
    const scope = this.#scope;
    if (!scope) throw new S3Error('AccessDenied', 'A signed streaming payload needs a signed request');
    const credentialScope = `${scope.longDate.slice(0, 8)}/${scope.region}/${scope.service}/aws4_request`;
    const stringToSign = [algorithm, scope.longDate, credentialScope, this.#previousSignature, ...hashes].join('\n');
    return scope.signer.sign(stringToSign, {
      signingDate: scope.signingDate,
      signingRegion: scope.region,
      signingService: scope.service,
    });
  }
}

function incomplete(message: string): S3Error {
  return new S3Error('IncompleteBody', message);
}

function signatureMismatch(detail: string): S3Error {
  return new S3Error('SignatureDoesNotMatch', `The request signature we calculated does not match: ${detail}`);
}

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
