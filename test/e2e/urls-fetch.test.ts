import { fileURLToPath } from 'node:url';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  CreateFunctionUrlConfigCommand,
  DeleteFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/index.js';
import type { Engine } from '../../src/engine.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signedFetch } from '../helpers/signed-fetch.js';

/** SigV4 headers (service lambda, the engine's test/test keys) for a POST of `body` to `url`. */
async function signedHeaders(url: string, body: string): Promise<Record<string, string>> {
  const target = new URL(url);
  const signer = new SignatureV4({ ...AWS_TEST_CONFIG, service: 'lambda', sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: target.protocol,
    hostname: target.hostname,
    port: Number(target.port),
    path: target.pathname,
    query: Object.fromEntries(target.searchParams),
    headers: { host: target.host, 'content-type': 'application/json' },
    body,
  });
  return signed.headers;
}

const WEB = fileURLToPath(new URL('../fixtures/events/web', import.meta.url));

describe('function URLs', () => {
  let t: TestServer;
  let engine: Engine;
  let server: RunningServer;
  let base: string;

  beforeAll(async () => {
    t = await startTestServer('urls');
    ({ engine, server } = t);
    await engine.functions.create({
      name: 'web',
      handler: 'index.handler',
      code: { dir: WEB },
    });
    for (const name of ['private', 'nourl'])
      await engine.functions.create({ name, handler: 'index.handler', code: { dir: WEB } });
    const lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: server.url });
    try {
      const created = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'web', AuthType: 'NONE' }));
      base = created.FunctionUrl as string;
      expect(base).toBe(`${server.url}/_lambdata/url/web/`);
      expect((await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'web' }))).AuthType).toBe('NONE');
      await expect(
        lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'web', AuthType: 'NONE' })),
      ).rejects.toMatchObject({
        name: 'ResourceConflictException',
      });
    } finally {
      lambda.destroy();
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  it('passes a GET with query and cookies as the payload 2.0 event and maps status, headers and cookies', async () => {
    const res = await fetch(`${base}items/42?color=red&color=blue&size=L`, {
      headers: { cookie: 'a=1; b=2', 'X-Trace': 't1', 'user-agent': 'tester' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-custom')).toBe('yes');
    expect(res.headers.getSetCookie()).toEqual(['session=abc; Path=/', 'theme=dark']);
    const event = await res.json();
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/items/42',
      rawQueryString: 'color=red&color=blue&size=L',
      cookies: ['a=1', 'b=2'],
      queryStringParameters: { color: 'red,blue', size: 'L' },
      isBase64Encoded: false,
      requestContext: {
        accountId: 'anonymous',
        http: { method: 'GET', path: '/items/42', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'tester' },
        routeKey: '$default',
        stage: '$default',
        timeEpoch: expect.any(Number),
        time: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
      },
    });
    expect(event.headers['x-trace']).toBe('t1');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.body).toBeUndefined();
  });

  it('passes a POST body, base64-encoding binary bodies', async () => {
    const text = await (
      await fetch(`${base}submit`, { method: 'POST', body: '{"n":1}', headers: { 'content-type': 'application/json' } })
    ).json();
    expect(text).toMatchObject({
      body: '{"n":1}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST' } },
    });
    const bytes = Buffer.from([0, 200, 255]);
    const binary = await (
      await fetch(`${base}upload`, {
        method: 'PUT',
        body: bytes,
        headers: { 'content-type': 'application/octet-stream' },
      })
    ).json();
    expect(binary).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
  });

  it('maps bare results to 200 JSON, base64 bodies to bytes, and function errors to 502', async () => {
    const plain = await fetch(`${base}plain`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(await plain.json()).toEqual({ hello: 'world' });
    const binary = await fetch(`${base}binary`);
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
    const failed = await fetch(`${base}fail`);
    expect(failed.status).toBe(502);
  });

  it('answers only for functions with a URL config', async () => {
    const res = await fetch(`${server.url}/_lambdata/url/nourl/anything`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(await engine.invocations.recent({ functionName: 'nourl' })).toEqual([]);
  });

  it('requires a SigV4 signature of the engine for AuthType AWS_IAM and reports the caller', async () => {
    const lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: server.url });
    try {
      await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'private', AuthType: 'AWS_IAM' }));
    } finally {
      lambda.destroy();
    }
    const target = `${server.url}/_lambdata/url/private/secret?x=1`;
    const unsigned = await fetch(target, {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toMatchObject({ Message: 'Forbidden' });
    const init = { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } };
    const wrongService = await signedFetch(target, init, 's3');
    expect(wrongService.status).toBe(403);
    const signed = await signedFetch(target, init, 'lambda');
    expect(signed.status).toBe(201);
    const event = await signed.json();
    expect(event).toMatchObject({
      rawPath: '/secret',
      body: '{"a":1}',
      requestContext: {
        accountId: '000000000000',
        authorizer: {
          iam: { accessKey: 'test', accountId: '000000000000', userArn: 'arn:aws:iam::000000000000:root' },
        },
      },
    });
    // The body is part of the signature: the headers signed for one body do not carry another.
    const headers = await signedHeaders(target, '{"a":1}');
    expect((await fetch(target, { method: 'POST', headers, body: '{"a":1}' })).status).toBe(201);
    expect((await fetch(target, { method: 'POST', headers, body: '{"a":2}' })).status).toBe(403);
  });

  it('deletes the URL configuration', async () => {
    const lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: server.url });
    try {
      await lambda.send(new DeleteFunctionUrlConfigCommand({ FunctionName: 'web' }));
      await expect(lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'web' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
      expect((await fetch(`${base}plain`)).status).toBe(404);
    } finally {
      lambda.destroy();
    }
  });
});
