import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { directSignature } from './sigv4-direct.js';

const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret/with+chars' };
const signingDate = new Date('2026-12-07T06:30:00Z');

interface Shape {
  title: string;
  service: string;
  method: string;
  /** The path as the client sends it (already encoded once). */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  payloadHash: string;
}

const SHAPES: Shape[] = [
  {
    title: 'a Lambda Invoke (path encoded twice)',
    service: 'lambda',
    method: 'POST',
    path: '/2015-03-31/functions/my%3Afn/invocations',
    query: { Qualifier: 'a b' },
    headers: { host: '127.0.0.1:4566', 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' },
    payloadHash: 'a'.repeat(64),
  },
  {
    title: 'an S3 GET (path as sent, repeated and reserved query values, folded header spaces)',
    service: 's3',
    method: 'GET',
    path: '/bucket/dir/a%20b%2Bc/./x..y/',
    query: { 'list-type': '2', prefix: "it's (a) *test*!", z: ['2', '1', ''], empty: '' },
    headers: { host: 'localhost:4566', 'x-amz-meta-note': '  two   spaces\tand tab  ', range: 'bytes=0-9' },
    payloadHash: 'UNSIGNED-PAYLOAD',
  },
  {
    title: 'a JSON service with dot segments and a trailing slash',
    service: 'dynamodb',
    method: 'POST',
    path: '/a/./b/../c/',
    query: {},
    headers: {
      host: '127.0.0.1',
      'x-amz-target': 'DynamoDB_20120810.GetItem',
      'content-type': 'application/x-amz-json-1.0',
    },
    payloadHash: 'b'.repeat(64),
  },
  {
    title: 'non-ASCII text in the query',
    service: 'sqs',
    method: 'GET',
    path: '/',
    query: { Action: 'SendMessage', MessageBody: 'héllo wörld ✓' },
    headers: { host: '127.0.0.1:4566' },
    payloadHash: 'c'.repeat(64),
  },
];

describe('directSignature', () => {
  for (const shape of SHAPES) {
    it(`equals the SDK signer's for ${shape.title}`, async () => {
      const signer = new SignatureV4({
        service: shape.service,
        region: 'eu-west-1',
        sha256: Sha256,
        credentials,
        uriEscapePath: shape.service !== 's3',
      });
      const signed = await signer.sign(
        {
          method: shape.method,
          protocol: 'http:',
          hostname: '127.0.0.1',
          path: shape.path,
          query: shape.query,
          headers: { ...shape.headers, 'x-amz-content-sha256': shape.payloadHash },
        },
        { signingDate },
      );
      const auth = String(signed.headers.authorization);
      const signedNames = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
      const expected = /Signature=([0-9a-f]{64})/.exec(auth)?.[1];
      const lower = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
      const headers = Object.fromEntries(signedNames.map((name) => [name, lower[name] ?? '']));
      const query = Object.entries(shape.query).flatMap(([name, value]) =>
        (Array.isArray(value) ? value : [value]).map((v) => [name, v] as const),
      );
      const request = {
        method: shape.method,
        path: shape.path,
        query,
        headers,
        payloadHash: shape.payloadHash,
        longDate: lower['x-amz-date'] ?? '',
        region: 'eu-west-1',
        service: shape.service,
        uriEscapePath: shape.service !== 's3',
      };
      expect(expected).toMatch(/^[0-9a-f]{64}$/);
      expect(directSignature(request, credentials.secretAccessKey)).toBe(expected);
      // Anything signed differently gives another signature.
      expect(directSignature({ ...request, method: 'PUT' }, credentials.secretAccessKey)).not.toBe(expected);
      expect(directSignature({ ...request, payloadHash: 'd'.repeat(64) }, credentials.secretAccessKey)).not.toBe(
        expected,
      );
      expect(directSignature(request, 'other')).not.toBe(expected);
    });
  }
});
