import { join } from 'node:path';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryAnswer } from '../../src/lambda-arch/index.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { apiAnswer, until } from '../helpers/native-api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/views');

describe("a user view's code runs in its sandboxed function, never in the engine", () => {
  let t: TestServer;
  let kinesis: KinesisClient;
  const api = <T>(method: string, path: string, body?: unknown) => apiAnswer<T>(t.url, method, path, body);

  beforeAll(async () => {
    t = await startTestServer('views-isolation', {}, { allowCodeDirs: [FIXTURES] });
    kinesis = new KinesisClient({ ...AWS_TEST_CONFIG, endpoint: t.url });
    t.engine.streams.createStream('probe', { shardCount: 1 });
    expect((await api('POST', '/datasets', { name: 'pr', stream: 'probe' })).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    kinesis?.destroy();
    await t?.close();
  });

  it('folds events in view-NAME-speed: no host files, not the engine process', async () => {
    const created = await api<{ name: string; monoid: string; granularity: string }>('POST', '/views', {
      name: 'snoop',
      dataset: 'pr',
      code: join(FIXTURES, 'snoop.ts'),
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'snoop', monoid: 'count', granularity: 'hour' });
    const event = { created_at: new Date().toISOString(), probe: join(t.dir, 'lambdata.db'), enginePid: process.pid };
    const records = [1, 2, 3].map((i) => ({
      Data: Buffer.from(JSON.stringify({ ...event, i })),
      PartitionKey: `k${i}`,
    }));
    await kinesis.send(new PutRecordsCommand({ StreamName: 'probe', Records: records }));
    const query = async (key: string) =>
      (await api<QueryAnswer>('GET', `/views/snoop/query?key=${encodeURIComponent(key)}`)).json;
    await until(async () => ((await query('in-other-process')).value === 3 ? true : undefined));
    expect((await query('in-engine-process')).value).toBe(0);
    expect((await query('no-host-file')).value).toBe(3);
    expect((await query('sees-host-file')).value).toBe(0);
    const lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: t.url });
    try {
      const names = (await lambda.send(new ListFunctionsCommand({}))).Functions?.map((f) => f.FunctionName);
      expect(names).toEqual(expect.arrayContaining(['view-snoop-speed', 'view-snoop-map', 'view-snoop-reduce']));
    } finally {
      lambda.destroy();
    }
  }, 60_000);

  it('refuses a user view whose monoid is not built in (the engine would have to run its merge)', async () => {
    const refused = await api<{ error: { code: string; message: string } }>('POST', '/views', {
      name: 'custom',
      dataset: 'pr',
      code: join(FIXTURES, 'custom-monoid.ts'),
    });
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe('InvalidParameterValueException');
    expect(refused.json.error.message).toMatch(/monoid must name a built-in monoid/);
    expect((await api('GET', '/views/custom')).status).toBe(404);
  }, 60_000);
});
