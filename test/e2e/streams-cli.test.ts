import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runAws, runLambdata, spawnLambdata } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;

function lambdata(...args: string[]): Promise<CliResult> {
  return runLambdata(t.url, ...args);
}

// biome-ignore lint/suspicious/noExplicitAny: AWS CLI JSON output, asserted field by field
type Wire = Record<string, any>;

async function aws(...args: string[]): Promise<Wire> {
  return (await runAws(t.url, t.dir, ...args)) ?? {};
}

beforeAll(async () => {
  t = await startTestServer('streams-cli', { background: false });
});

afterAll(async () => {
  await t?.close();
});

describe('lambdata streams / tables CLI', () => {
  it('creates, lists, puts to, tails and removes streams', async () => {
    expect((await lambdata('streams', 'create', 'clicks', '--shards', '2')).code).toBe(0);
    expect((await lambdata('streams', 'ls')).stdout).toMatch(/^clicks\t2 shards/m);
    const put = await lambdata('streams', 'put', 'clicks', 'hello world', '--key', 'u1');
    expect(put.stdout).toMatch(/^shardId-\d{12}\t\d+\n$/);

    const tail = spawnLambdata(t.url, 'streams', 'tail', 'clicks', '--from', 'trim');
    try {
      const lines = createInterface({ input: tail.stdout });
      const seen: string[] = [];
      const gotBoth = new Promise<void>((resolve) =>
        lines.on('line', (line) => {
          seen.push(line);
          if (seen.length === 1) void lambdata('streams', 'put', 'clicks', 'live one', '--key', 'u2');
          if (seen.length === 2) resolve();
        }),
      );
      await gotBoth;
      expect(seen[0]).toMatch(/\tu1\thello world$/);
      expect(seen[1]).toMatch(/\tu2\tlive one$/);
    } finally {
      tail.kill('SIGINT');
    }
    const missing = await lambdata('streams', 'rm', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ResourceNotFoundException');
    expect((await lambdata('streams', 'rm', 'clicks')).code).toBe(0);
    expect(t.engine.streams.listStreams()).not.toContain('clicks');
  }, 120_000);

  it('creates tables and puts, gets and scans plain JSON items', async () => {
    expect(
      (await lambdata('tables', 'create', 'users', '--pk', 'id:N', '--sk', 'name', '--stream', 'NEW_IMAGE')).code,
    ).toBe(0);
    expect((await lambdata('tables', 'put', 'users', '{"id": 2, "name": "bo", "tags": ["a"], "ok": true}')).code).toBe(
      0,
    );
    expect((await lambdata('tables', 'put', 'users', '{"id": 10, "name": "al"}')).code).toBe(0);
    const got = await lambdata('tables', 'get', 'users', '{"id": 2, "name": "bo"}');
    expect(JSON.parse(got.stdout)).toEqual({ id: 2, name: 'bo', tags: ['a'], ok: true });
    expect((await lambdata('tables', 'get', 'users', '{"id": 3, "name": "x"}')).code).toBe(1);
    const scan = await lambdata('tables', 'scan', 'users');
    expect(
      scan.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual([2, 10]);
    expect((await lambdata('tables', 'put', 'users', 'not json')).code).toBe(2);
    expect(t.engine.tables.readChanges('users', undefined, 10).map((c) => c.eventName)).toEqual(['INSERT', 'INSERT']);
    expect((await lambdata('tables', 'rm', 'users')).code).toBe(0);
  }, 120_000);
});

describe('AWS CLI', () => {
  it('drives kinesis', async () => {
    await aws('kinesis', 'create-stream', '--stream-name', 'awscli', '--shard-count', '2');
    const put = await aws(
      'kinesis',
      'put-record',
      '--stream-name',
      'awscli',
      '--partition-key',
      'p',
      '--data',
      'hello',
    );
    expect(put.ShardId).toMatch(/^shardId-/);
    const it = await aws(
      'kinesis',
      'get-shard-iterator',
      '--stream-name',
      'awscli',
      '--shard-id',
      put.ShardId,
      '--shard-iterator-type',
      'TRIM_HORIZON',
    );
    const records = await aws('kinesis', 'get-records', '--shard-iterator', it.ShardIterator);
    expect(records.Records.map((r: { Data: string }) => Buffer.from(r.Data, 'base64').toString())).toEqual(['hello']);
    await aws(
      'kinesis',
      'increase-stream-retention-period',
      '--stream-name',
      'awscli',
      '--retention-period-hours',
      '48',
    );
    expect(t.engine.streams.describeStream('awscli').retentionPeriodHours).toBe(48);
  }, 120_000);

  it('drives dynamodb', async () => {
    await aws(
      'dynamodb',
      'create-table',
      '--table-name',
      'awsclitable',
      '--attribute-definitions',
      'AttributeName=id,AttributeType=S',
      '--key-schema',
      'AttributeName=id,KeyType=HASH',
      '--billing-mode',
      'PAY_PER_REQUEST',
    );
    await aws('dynamodb', 'put-item', '--table-name', 'awsclitable', '--item', '{"id":{"S":"a"},"n":{"N":"1"}}');
    await aws(
      'dynamodb',
      'update-item',
      '--table-name',
      'awsclitable',
      '--key',
      '{"id":{"S":"a"}}',
      '--update-expression',
      'ADD n :d',
      '--expression-attribute-values',
      '{":d":{"N":"41"}}',
    );
    const got = await aws('dynamodb', 'get-item', '--table-name', 'awsclitable', '--key', '{"id":{"S":"a"}}');
    expect(got.Item).toEqual({ id: { S: 'a' }, n: { N: '42' } });
  }, 120_000);
});
