import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { verifySigV4 } from '../sigv4.js';
import { openPayload } from './payload.js';

// The worked example of AWS's "Signature Calculations … in Multiple Chunks" page.
const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const CHUNK_SIGNATURES = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
];

function exampleBody(signatures = CHUNK_SIGNATURES): Buffer {
  const a = (n: number) => Buffer.alloc(n, 'a');
  return Buffer.concat([
    Buffer.from(`10000;chunk-signature=${signatures[0]}\r\n`),
    a(65536),
    Buffer.from(`\r\n400;chunk-signature=${signatures[1]}\r\n`),
    a(1024),
    Buffer.from(`\r\n0;chunk-signature=${signatures[2]}\r\n\r\n`),
  ]);
}

function request(body: Buffer, headers: Record<string, string>, url: string): IncomingMessage {
  // Small slices so the decoder meets chunk headers split across reads.
  const pieces = Array.from({ length: Math.ceil(body.length / 777) }, (_, i) => body.subarray(i * 777, (i + 1) * 777));
  return Object.assign(Readable.from(pieces), { headers, method: 'PUT', url }) as unknown as IncomingMessage;
}

function exampleRequest(body = exampleBody()): IncomingMessage {
  return request(
    body,
    {
      host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=' +
        SEED,
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'content-length': String(body.length),
    },
    '/examplebucket/chunkObject.txt',
  );
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('aws-chunked payloads', () => {
  const now = new Date('2013-05-24T00:05:00Z');

  it('verifies the AWS example: seed signature, chunk signatures and decoded length', async () => {
    const req = exampleRequest();
    const scope = await verifySigV4(
      req,
      new URL('http://s3.amazonaws.com/examplebucket/chunkObject.txt'),
      'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      CREDENTIALS,
      { now },
    );
    const decoded = await drain(openPayload(req, scope).body);
    expect(decoded.equals(Buffer.alloc(66560, 'a'))).toBe(true);
  });

  it('rejects a tampered chunk signature', async () => {
    const bad = [...CHUNK_SIGNATURES];
    bad[1] = String(bad[1]).replace(/^0/, '1');
    const req = exampleRequest(exampleBody(bad));
    const scope = await verifySigV4(
      req,
      new URL('http://s3.amazonaws.com/x'),
      'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      CREDENTIALS,
      { now },
    );
    await expect(drain(openPayload(req, scope).body)).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
  });

  it('decodes unsigned chunks with a CRC32 trailer and rejects a wrong one', async () => {
    const framed = (crc: string) =>
      Buffer.from(`5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:${crc}\r\n\r\n`);
    const headers = {
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'x-amz-trailer': 'x-amz-checksum-crc32',
      'x-amz-decoded-content-length': '11',
    };
    const ok = openPayload(request(framed('DUoRhQ=='), headers, '/b/k'), undefined);
    expect((await drain(ok.body)).toString()).toBe('hello world');
    expect(ok.checksums).toEqual({ 'x-amz-checksum-crc32': 'DUoRhQ==' });
    const bad = openPayload(request(framed('AAAAAA=='), headers, '/b/k'), undefined);
    await expect(drain(bad.body)).rejects.toMatchObject({ code: 'BadDigest' });
    const short = openPayload(
      request(framed('DUoRhQ=='), { ...headers, 'x-amz-decoded-content-length': '12' }, '/b/k'),
      undefined,
    );
    await expect(drain(short.body)).rejects.toMatchObject({ code: 'IncompleteBody' });
  });
});

describe('signed aws-chunked payloads with a trailer', () => {
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const longDate = '20240102T030405Z';
  const scope = '20240102/us-east-1/s3/aws4_request';
  const now = new Date('2024-01-02T03:04:05Z');
  const signer = new SignatureV4({
    service: 's3',
    region: 'us-east-1',
    sha256: Sha256,
    uriEscapePath: false,
    credentials,
  });
  const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
  const signString = (text: string) => signer.sign(text, { signingDate: now });

  async function signedRequest(trailerValue: string, tamperTrailer = false): Promise<IncomingMessage> {
    const headers: Record<string, string> = {
      host: 'localhost',
      'x-amz-date': longDate,
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
      'x-amz-trailer': 'x-amz-checksum-crc32',
      'x-amz-decoded-content-length': '11',
      'content-encoding': 'aws-chunked',
    };
    const signed = await signer.sign(
      { method: 'PUT', protocol: 'http:', hostname: 'localhost', path: '/b/k', query: {}, headers },
      { signingDate: now },
    );
    const seed = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? '';
    let previous = seed;
    const frames: Buffer[] = [];
    for (const data of [Buffer.from('hello'), Buffer.from(' world'), Buffer.alloc(0)]) {
      const signature = await signString(
        ['AWS4-HMAC-SHA256-PAYLOAD', longDate, scope, previous, sha(''), sha(data)].join('\n'),
      );
      frames.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${signature}\r\n`), data);
      if (data.length) frames.push(Buffer.from('\r\n'));
      previous = signature;
    }
    const trailer = `x-amz-checksum-crc32:${trailerValue}\n`;
    const trailerSignature = await signString(
      ['AWS4-HMAC-SHA256-TRAILER', longDate, scope, previous, sha(tamperTrailer ? 'x' : trailer)].join('\n'),
    );
    frames.push(
      Buffer.from(`x-amz-checksum-crc32:${trailerValue}\r\nx-amz-trailer-signature:${trailerSignature}\r\n\r\n`),
    );
    return request(Buffer.concat(frames), { ...headers, authorization: String(signed.headers.authorization) }, '/b/k');
  }

  it('verifies chunk and trailer signatures and the trailing CRC32', async () => {
    const req = await signedRequest('DUoRhQ==');
    const verified = await verifySigV4(
      req,
      new URL('http://localhost/b/k'),
      'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
      credentials,
      { now },
    );
    const payload = openPayload(req, verified);
    expect((await drain(payload.body)).toString()).toBe('hello world');
    expect(payload.checksums).toEqual({ 'x-amz-checksum-crc32': 'DUoRhQ==' });
  });

  it('rejects a forged trailer signature', async () => {
    const req = await signedRequest('DUoRhQ==', true);
    const verified = await verifySigV4(
      req,
      new URL('http://localhost/b/k'),
      'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
      credentials,
      { now },
    );
    await expect(drain(openPayload(req, verified).body)).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
  });
});

describe('flexible checksums on plain bodies', () => {
  it.each([
    ['crc32c', 'yZRlqg=='],
    ['crc64nvme', 'jSnVw/bqjr4='],
    ['sha1', 'Kq5sNclPz7QV2+lfQIuc6R7oRu0='],
  ])('verifies and echoes %s', async (algorithm, value) => {
    const payload = openPayload(
      request(Buffer.from('hello world'), { [`x-amz-checksum-${algorithm}`]: value }, '/b/k'),
      undefined,
    );
    expect((await drain(payload.body)).toString()).toBe('hello world');
    expect(payload.checksums).toEqual({ [`x-amz-checksum-${algorithm}`]: value });
  });
});
