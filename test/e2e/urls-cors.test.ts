/**
 * Function URL CORS: a URL whose config allows an origin answers that origin (preflight, echoed
 * allow-origin, expose headers, max-age), in a real browser too; every other origin, and every other
 * surface of the server, keeps being refused by the foreign-Origin guard.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  CreateFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  LambdaClient,
  UpdateFunctionUrlConfigCommand,
} from '@aws-sdk/client-lambda';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const WEB = fileURLToPath(new URL('../fixtures/events/web', import.meta.url));
const APP = 'https://app.example.com';

let t: TestServer;
let lambda: LambdaClient;
let page: Server;
let pageOrigin: string;
let browser: Browser;

beforeAll(async () => {
  t = await startTestServer('urls-cors');
  lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: t.url });
  for (const name of ['shared', 'closed']) {
    await t.engine.functions.create({ name, handler: 'index.handler', code: { dir: WEB } });
  }
  // A page served from another port: another origin, as a browser sees it.
  page = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>caller</title>');
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
  const created = await lambda.send(
    new CreateFunctionUrlConfigCommand({
      FunctionName: 'shared',
      AuthType: 'NONE',
      Cors: {
        AllowOrigins: [APP, pageOrigin],
        AllowMethods: ['GET', 'POST'],
        AllowHeaders: ['content-type', 'x-trace'],
        ExposeHeaders: ['x-custom'],
        MaxAge: 300,
      },
    }),
  );
  expect(created.Cors).toMatchObject({ AllowOrigins: [APP, pageOrigin], MaxAge: 300 });
  await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'closed', AuthType: 'NONE' }));
});

afterAll(async () => {
  await browser?.close();
  lambda?.destroy();
  await new Promise((resolve) => page?.close(resolve));
  await t?.close();
});

describe('function URL CORS over HTTP', () => {
  it('answers a preflight of an allowed origin with the configured methods, headers and max-age', async () => {
    const res = await fetch(`${t.url}/_lambdata/url/shared/items`, {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'Content-Type, X-Other',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET,POST');
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(res.headers.get('access-control-max-age')).toBe('300');
    expect(await t.engine.invocations.recent({ functionName: 'shared' })).toEqual([]);
  });

  it('grants no CORS headers to a preflight for a method the config does not allow', async () => {
    const res = await fetch(`${t.url}/_lambdata/url/shared/items`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'DELETE' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('invokes the function for an allowed origin, echoing it and exposing the configured headers', async () => {
    const res = await fetch(`${t.url}/_lambdata/url/shared/items`, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      body: '{"n":1}',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-expose-headers')).toBe('x-custom');
    expect(res.headers.get('vary')).toBe('Origin');
    expect(await res.json()).toMatchObject({ body: '{"n":1}', headers: { origin: APP } });
  });

  it('refuses origins the config does not list, and URLs without CORS, as the guard does', async () => {
    const foreign = await fetch(`${t.url}/_lambdata/url/shared/items`, {
      method: 'POST',
      headers: { origin: 'https://evil.example.com', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const closed = await fetch(`${t.url}/_lambdata/url/closed/items`, { headers: { origin: APP } });
    expect(closed.status).toBe(403);
    expect(await t.engine.invocations.recent({ functionName: 'closed' })).toEqual([]);
  });

  it('keeps refusing an allowed origin on every other surface', async () => {
    const headers = { origin: APP, 'content-type': 'application/json' };
    const native = await fetch(`${t.url}/_lambdata/functions`, { headers });
    expect(native.status).toBe(403);
    const native2 = await fetch(`${t.url}/_lambdata/functions/shared/invoke`, { method: 'POST', headers, body: '{}' });
    expect(native2.status).toBe(403);
    const api = await fetch(`${t.url}/2015-03-31/functions/shared/invocations`, {
      method: 'POST',
      headers,
      body: '{}',
    });
    expect(api.status).toBe(403);
    const s3 = await fetch(`${t.url}/some-bucket`, { method: 'PUT', headers });
    expect(s3.status).toBe(403);
    expect(await t.engine.invocations.recent({ functionName: 'shared' })).toHaveLength(1);
  });

  it('follows an UpdateFunctionUrlConfig that drops the origin', async () => {
    await lambda.send(
      new UpdateFunctionUrlConfigCommand({
        FunctionName: 'closed',
        Cors: { AllowOrigins: [APP], AllowMethods: ['*'] },
      }),
    );
    expect((await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'closed' }))).Cors?.AllowOrigins).toEqual(
      [APP],
    );
    expect((await fetch(`${t.url}/_lambdata/url/closed/plain`, { headers: { origin: APP } })).status).toBe(200);
    await lambda.send(
      new UpdateFunctionUrlConfigCommand({
        FunctionName: 'closed',
        Cors: { AllowOrigins: ['https://other.example.com'] },
      }),
    );
    expect((await fetch(`${t.url}/_lambdata/url/closed/plain`, { headers: { origin: APP } })).status).toBe(403);
  });

  it('refuses a CORS config that is not one', async () => {
    await expect(
      lambda.send(
        new UpdateFunctionUrlConfigCommand({ FunctionName: 'closed', Cors: { AllowOrigins: ['not an origin'] } }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(
      lambda.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'closed', Cors: { MaxAge: 86401 } })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  });
});

describe('function URL CORS in a browser', () => {
  it('lets a page of an allowed origin call the URL (with a preflight) and read exposed headers, and no other URL', async () => {
    browser = await launchChromium();
    const tab = await browser.newPage();
    await tab.goto(`${pageOrigin}/`);
    const outcome = await tab.evaluate(async (base) => {
      const res = await fetch(`${base}/_lambdata/url/shared/from-page`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-trace': 'b1' },
        body: JSON.stringify({ from: 'page' }),
      });
      const event = await res.json();
      let closed = 'readable';
      try {
        await fetch(`${base}/_lambdata/url/closed/plain`);
      } catch {
        closed = 'blocked';
      }
      let api = 'readable';
      try {
        await fetch(`${base}/_lambdata/functions`);
      } catch {
        api = 'blocked';
      }
      return { status: res.status, custom: res.headers.get('x-custom'), event, closed, api };
    }, t.url);
    expect(outcome.status).toBe(201);
    expect(outcome.custom).toBe('yes');
    expect(outcome.event).toMatchObject({
      rawPath: '/from-page',
      body: '{"from":"page"}',
      headers: { 'x-trace': 'b1' },
    });
    expect(outcome.closed).toBe('blocked');
    expect(outcome.api).toBe('blocked');
  });
});
