import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { bucketOfHost } from './s3/routing.js';
import { verifySigV4 } from './sigv4.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

async function signedJsonRequest(body: string, secret = 'test', signingDate = new Date()): Promise<IncomingMessage> {
  const signer = new SignatureV4({
    service: 'lambda',
    region: 'eu-west-1',
    sha256: Sha256,
    credentials: { accessKeyId: 'test', secretAccessKey: secret },
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 4566,
      path: '/2015-03-31/functions/my%3Afn/invocations',
      query: { Qualifier: 'a b' },
      headers: { host: '127.0.0.1:4566', 'content-type': 'application/json', 'x-amz-user-agent': 'x' },
      body,
    },
    { signingDate },
  );
  return {
    method: 'POST',
    url: '/2015-03-31/functions/my%3Afn/invocations?Qualifier=a%20b',
    headers: Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v])),
  } as unknown as IncomingMessage;
}

describe('verifySigV4 for JSON services', () => {
  const hash = (text: string) => createHash('sha256').update(text).digest('hex');

  it('accepts a body-hash signature from the SDK signer (path encoded twice, query re-encoded)', async () => {
    const req = await signedJsonRequest('{"a":1}');
    const scope = await verifySigV4(req, new URL(`http://x${req.url}`), hash('{"a":1}'), credentials);
    expect(scope).toMatchObject({ region: 'eu-west-1', service: 'lambda', accessKeyId: 'test' });
  });

  it('rejects a different body, a wrong secret, and no signature unless anonymous', async () => {
    const req = await signedJsonRequest('{"a":1}');
    await expect(verifySigV4(req, new URL(`http://x${req.url}`), hash('{"a":2}'), credentials)).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      status: 403,
    });
    const forged = await signedJsonRequest('{}', 'other');
    await expect(verifySigV4(forged, new URL(`http://x${forged.url}`), hash('{}'), credentials)).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
    const bare = { method: 'GET', url: '/', headers: {} } as unknown as IncomingMessage;
    await expect(verifySigV4(bare, new URL('http://x/'), hash(''), credentials)).rejects.toMatchObject({
      code: 'AccessDenied',
    });
    expect(await verifySigV4(bare, new URL('http://x/'), hash(''), credentials, { anonymous: true })).toBeUndefined();
  });

  it('checks each request against the engine credentials of that moment, however many came before', async () => {
    const req = await signedJsonRequest('{"a":1}');
    const url = new URL(`http://x${req.url}`);
    for (let i = 0; i < 3; i++) expect(await verifySigV4(req, url, hash('{"a":1}'), credentials)).toBeDefined();
    await expect(
      verifySigV4(req, url, hash('{"a":1}'), { accessKeyId: 'test', secretAccessKey: 'rotated' }),
    ).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    const rotated = await signedJsonRequest('{"a":1}', 'rotated');
    expect(
      await verifySigV4(rotated, url, hash('{"a":1}'), { accessKeyId: 'test', secretAccessKey: 'rotated' }),
    ).toBeDefined();
    await expect(verifySigV4(rotated, url, hash('{"a":1}'), credentials)).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });

  it('rejects anything but the three components of a valid signature in the Authorization header', async () => {
    const req = await signedJsonRequest('{}');
    const url = new URL(`http://x${req.url}`);
    const valid = String(req.headers.authorization);
    const signature = /Signature=([0-9a-f]{64})$/.exec(valid)?.[1] ?? '';
    for (const forged of [
      `${valid}, garbage`,
      `${valid},Foo=bar`,
      `${valid}, Signature=${signature}`,
      `${valid}00`,
      valid.replace(signature, signature.toUpperCase()),
      valid.replace('SignedHeaders=', 'SignedHeaders=;'),
    ]) {
      const tampered = { ...req, headers: { ...req.headers, authorization: forged } } as unknown as IncomingMessage;
      await expect(verifySigV4(tampered, url, hash('{}'), credentials), forged).rejects.toMatchObject({
        code: 'AuthorizationHeaderMalformed',
        status: 400,
      });
    }
    expect(await verifySigV4(req, url, hash('{}'), credentials)).toBeDefined();
  });

  it('verifies requests of different days with the key of their day, and refuses a signed header or date changed after signing', async () => {
    const days = [new Date('2026-03-01T23:59:00Z'), new Date('2026-03-02T00:01:00Z'), new Date('2026-03-01T12:00:00Z')];
    for (const day of days) {
      const req = await signedJsonRequest('{}', 'test', day);
      const url = new URL(`http://x${req.url}`);
      expect(await verifySigV4(req, url, hash('{}'), credentials, { now: day })).toBeDefined();
      const retagged = { ...req, headers: { ...req.headers, 'x-amz-user-agent': 'y' } } as unknown as IncomingMessage;
      await expect(verifySigV4(retagged, url, hash('{}'), credentials, { now: day })).rejects.toMatchObject({
        code: 'SignatureDoesNotMatch',
      });
    }
    // Signed on the 1st, presented as the 2nd (still within the allowed skew): the 2nd's key does not match.
    const req = await signedJsonRequest('{}', 'test', days[0]);
    const redated = {
      ...req,
      headers: {
        ...req.headers,
        'x-amz-date': '20260302T000100Z',
        authorization: String(req.headers.authorization).replace('/20260301/', '/20260302/'),
      },
    } as unknown as IncomingMessage;
    await expect(
      verifySigV4(redated, new URL(`http://x${req.url}`), hash('{}'), credentials, { now: days[1] }),
    ).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
  });

  it('rejects requests signed too long ago', async () => {
    const req = await signedJsonRequest('{}');
    const later = new Date(Date.now() + 20 * 60 * 1000);
    await expect(
      verifySigV4(req, new URL(`http://x${req.url}`), hash('{}'), credentials, { now: later }),
    ).rejects.toMatchObject({
      code: 'AccessDenied',
    });
  });
});

describe('virtual-hosted bucket names', () => {
  it('reads the bucket from localhost and AWS-style hosts only', () => {
    expect(bucketOfHost('photos.localhost:4566')).toBe('photos');
    expect(bucketOfHost('my.dotted.bucket.s3.localhost')).toBe('my.dotted.bucket');
    expect(bucketOfHost('logs.s3.us-east-1.amazonaws.com')).toBe('logs');
    expect(bucketOfHost('s3.localhost:4566')).toBeUndefined();
    expect(bucketOfHost('s3.us-east-1.amazonaws.com')).toBeUndefined();
    expect(bucketOfHost('localhost:4566')).toBeUndefined();
    expect(bucketOfHost('127.0.0.1:4566')).toBeUndefined();
  });
});
