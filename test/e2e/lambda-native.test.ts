import { dirname } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/index.js';
import { ApiClient } from '../../src/cli/client.js';
import { fixturePath, zipFixture } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let server: RunningServer;
let api: ApiClient;

beforeAll(async () => {
  // The fixtures are the one server directory this test deploys from in place.
  t = await startTestServer('lambda-native', {}, { allowCodeDirs: [dirname(fixturePath('lambda/echo'))] });
  ({ server } = t);
  api = new ApiClient(server.url);
});

afterAll(async () => {
  await t?.close();
});

/**
 * Opens an SSE stream and resolves once its headers arrived (the server subscribes before it answers);
 * `done` collects events until `until` says stop.
 */
async function listen(path: string, until: (event: string, data: unknown) => boolean) {
  const res = await fetch(api.url(path));
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const done = (async () => {
    const events: Array<{ event: string; data: unknown }> = [];
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || data === undefined) continue;
        events.push({ event, data: JSON.parse(data) });
        // Returning from the loop cancels the body, which closes the stream.
        if (until(event, JSON.parse(data))) return events;
      }
    }
    return events;
  })();
  return { done };
}

describe('native functions API', () => {
  it('creates from a local dir, patches config and downloads the code as a zip', async () => {
    const created = await api.put<{ name: string; memoryMb: number; versions: unknown[] }>('/functions/native-echo', {
      handler: 'index.handler',
      code: { dir: fixturePath('lambda/echo') },
      memoryMb: 192,
    });
    expect(created).toMatchObject({ name: 'native-echo', memoryMb: 192, reservedConcurrency: null });
    const patched = await api.request<{ timeoutS: number; reservedConcurrency: number }>(
      'PATCH',
      '/functions/native-echo',
      {
        timeoutS: 7,
        reservedConcurrency: 5,
      },
    );
    expect(patched).toMatchObject({ timeoutS: 7, reservedConcurrency: 5 });
    const res = await api.fetch('GET', '/functions/native-echo/code');
    expect(res.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(files)).toContain('index.mjs');
  });

  it('invokes with the decoded log tail and streams the invocation record and log lines', async () => {
    const records = await listen('/invocations/stream?function=native-echo', (event) => event === 'invocation');
    const logs = await listen('/functions/native-echo/logs/stream', (_e, data) =>
      String((data as { line?: string }).line).startsWith('REPORT'),
    );
    const result = await api.request<Record<string, unknown>>(
      'POST',
      '/functions/native-echo/invoke?tail=1',
      Buffer.from('{"x":42}'),
      { 'content-type': 'application/json' },
    );
    expect(result).toMatchObject({ statusCode: 200, executedVersion: '$LATEST', payload: { event: { x: 42 } } });
    expect(result.logs).toContain('REPORT RequestId:');

    const [record] = await records.done;
    expect(record).toMatchObject({ event: 'invocation', data: { requestId: result.requestId, outcome: 'success' } });
    const lines = (await logs.done).map((e) => (e.data as { line: string }).line);
    expect(lines.some((l) => l.includes('echo got {"x":42}'))).toBe(true);

    const recent = await api.get<{ invocations: Array<{ requestId: string }> }>('/invocations?function=native-echo');
    expect(recent.invocations.map((r) => r.requestId)).toContain(result.requestId);
  });

  it('deploys a zip over an existing function and reports billing and concurrency', async () => {
    const updated = await api.put<{ versions: Array<{ version: string }> }>('/functions/native-echo', {
      code: { zipBase64: zipFixture('lambda/echo-v2').toString('base64') },
      publish: true,
    });
    expect(updated.versions.map((v) => v.version)).toEqual(['$LATEST', '1']);
    const billing = await api.get<{ invocations: number; prices: { perGbSecond: number } }>(
      '/billing?function=native-echo',
    );
    expect(billing.invocations).toBe(1);
    expect(billing.prices.perGbSecond).toBeGreaterThan(0);
    const concurrency = await api.get<Record<string, unknown>>('/concurrency');
    expect(concurrency).toHaveProperty('queueDepth');
  });

  it('answers unknown functions and bad bodies with error codes', async () => {
    await expect(api.get('/functions/missing')).rejects.toMatchObject({
      code: 'ResourceNotFoundException',
      status: 404,
    });
    const bad = await api.fetch('PUT', '/functions/x', Buffer.from('{oops'), { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'InvalidRequestContentException' } });
    await expect(
      api.request('POST', '/functions/native-echo/invoke?type=Sometimes', Buffer.from('{}'), {
        'content-type': 'application/json',
      }),
    ).rejects.toMatchObject({
      code: 'InvalidParameterValueException',
    });
  });
});
