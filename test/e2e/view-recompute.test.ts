/**
 * The view-recompute built-in, as a schedule runs it: on a server that has a token, the function
 * starts a view's recompute through the native API with its own SigV4 credentials; a recompute
 * already running is a skip, an unknown view an error naming the server's answer.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const KEYS = { accessKeyId: 'AKIAVIEWRECOMPUTE01', secretAccessKey: 'view-recompute-secret-key' };
const TOKEN = 'view-recompute-token';

let server: TestServer;
let lambda: LambdaClient;

beforeAll(async () => {
  server = await startTestServer('view-recompute', { credentials: KEYS }, { token: TOKEN });
  await server.engine.jobs.deployBuiltins(['view-recompute']);
  lambda = new LambdaClient({ endpoint: server.url, region: 'us-east-1', credentials: KEYS });
  server.engine.streams.createStream('events', { shardCount: 1 });
  server.engine.views.createDataset({ name: 'events-master', stream: 'events' });
  await server.engine.views.createView({ name: 'per-key', dataset: 'events-master', view: 'event-count' });
  for (let i = 0; i < 50; i++) {
    const event = { key: `k${i % 5}`, created_at: new Date(Date.now() - 3 * 3_600_000 + i * 1000).toISOString() };
    server.engine.streams.putRecord('events', { data: Buffer.from(JSON.stringify(event)), partitionKey: 'p' });
  }
  // One event now: the archive is complete up to now, so the horizon covers the hours-old ones.
  const now = { key: 'later', created_at: new Date().toISOString() };
  server.engine.streams.putRecord('events', { data: Buffer.from(JSON.stringify(now)), partitionKey: 'p' });
}, 120_000);

afterAll(async () => {
  lambda?.destroy();
  await server?.close();
});

async function invoke(payload: unknown): Promise<{ error?: string; result: Record<string, unknown> }> {
  const answer = await lambda.send(
    new InvokeCommand({ FunctionName: 'view-recompute', Payload: Buffer.from(JSON.stringify(payload)) }),
  );
  const result = JSON.parse(Buffer.from(answer.Payload ?? []).toString() || 'null');
  return { ...(answer.FunctionError ? { error: answer.FunctionError } : {}), result };
}

describe('view-recompute function', () => {
  it('starts a recompute through the native API on a server with a token, with its own signature', async () => {
    // The native API itself refuses a caller without the token or a signature.
    const refused = await fetch(`${server.url}/_lambdata/views/per-key/recompute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(401);
    const first = await invoke({ view: 'per-key' });
    expect(first.error).toBeUndefined();
    expect(first.result).toMatchObject({ view: 'per-key', jobId: expect.stringMatching(/^j-/) });
    await expect
      .poll(() => server.engine.views.view('per-key').batch?.version ?? 0, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(1);
    expect(server.engine.views.query('per-key', 'k0').batch.value).toBe(10);
  }, 90_000);

  it('reports 409 as a skip while a recompute runs', async () => {
    const started = await server.engine.views.recompute('per-key');
    const answer = await invoke({ view: 'per-key' });
    expect(answer.result).toEqual({ view: 'per-key', skipped: 'a recompute is running' });
    await started.done;
  }, 60_000);

  it('fails with the server answer for an unknown view, and without a view', async () => {
    const unknown = await invoke({ view: 'no-such-view' });
    expect(unknown.error).toBe('Unhandled');
    expect(unknown.result.errorMessage).toMatch(/answered 404: .*ResourceNotFoundException/);
    const none = await invoke({});
    expect(none.result.errorMessage).toMatch(/no view named/);
  }, 30_000);
});
