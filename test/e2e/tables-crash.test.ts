import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runLambdata } from '../helpers/cli.js';

const SERVER = join(import.meta.dirname, '../fixtures/streams/server.mjs');
const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-tables-crash-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts `lambdata serve`'s engine and server over the data dir as a separate process. */
async function serve(): Promise<{ url: string; kill(): Promise<void> }> {
  const child = spawn(process.execPath, [SERVER, dataDir], {
    env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  return {
    url,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('tables after kill -9', () => {
  it('keeps every acknowledged item, its index entries and its transactions', async () => {
    expect(existsSync(join(import.meta.dirname, '../../dist/engine.js')), 'run npm run build').toBe(true);
    const first = await serve();
    const ddb = new DynamoDBClient({ endpoint: first.url, ...AWS_TEST_CONFIG, maxAttempts: 1 });
    await ddb.send(
      new CreateTableCommand({
        TableName: 'events',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'device', KeyType: 'HASH' },
          { AttributeName: 'at', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'device', AttributeType: 'S' },
          { AttributeName: 'at', AttributeType: 'N' },
          { AttributeName: 'kind', AttributeType: 'S' },
          { AttributeName: 'level', AttributeType: 'N' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byKind',
            KeySchema: [
              { AttributeName: 'kind', KeyType: 'HASH' },
              { AttributeName: 'at', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
        LocalSecondaryIndexes: [
          {
            IndexName: 'byLevel',
            KeySchema: [
              { AttributeName: 'device', KeyType: 'HASH' },
              { AttributeName: 'level', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    const acknowledged: Array<{ device: string; at: number; kind: string }> = [];
    let next = 0;
    let killed = false;
    const writer = async (w: number) => {
      while (!killed) {
        const at = next++;
        const item = { device: `d${w}`, at, kind: at % 2 ? 'odd' : 'even' };
        try {
          if (at % 10 === 0) {
            // Every tenth write is a transaction of two items: both or neither.
            await ddb.send(
              new TransactWriteItemsCommand({
                TransactItems: [0, 1].map((k) => ({
                  Put: {
                    TableName: 'events',
                    Item: { device: { S: `tx${k}` }, at: { N: String(at) }, kind: { S: 'tx' }, level: { N: '1' } },
                  },
                })),
              }),
            );
            acknowledged.push({ device: 'tx0', at, kind: 'tx' }, { device: 'tx1', at, kind: 'tx' });
          } else {
            await ddb.send(
              new PutItemCommand({
                TableName: 'events',
                Item: {
                  device: { S: item.device },
                  at: { N: String(at) },
                  kind: { S: item.kind },
                  level: { N: String(at % 7) },
                },
              }),
            );
            acknowledged.push(item);
          }
          if (acknowledged.length >= 400 && !killed) {
            killed = true;
            await first.kill();
          }
        } catch (err) {
          if (!killed) throw err;
        }
      }
    };
    await Promise.all([0, 1, 2].map(writer));
    ddb.destroy();

    const second = await serve();
    const after = new DynamoDBClient({ endpoint: second.url, ...AWS_TEST_CONFIG });
    try {
      const table: Array<Record<string, { S?: string; N?: string }>> = [];
      let start: Record<string, never> | undefined;
      do {
        const page = await after.send(new ScanCommand({ TableName: 'events', ExclusiveStartKey: start }));
        table.push(...((page.Items ?? []) as typeof table));
        start = page.LastEvaluatedKey as typeof start;
      } while (start);
      const stored = new Set(table.map((i) => `${i.device?.S}/${i.at?.N}`));
      for (const a of acknowledged) expect(stored.has(`${a.device}/${a.at}`)).toBe(true);
      // Transactions: both items or neither, never one.
      const tx = table.filter((i) => i.kind?.S === 'tx');
      for (const item of tx) expect(stored.has(`${item.device?.S === 'tx0' ? 'tx1' : 'tx0'}/${item.at?.N}`)).toBe(true);

      // Each index holds exactly the table's items that have its keys.
      const indexed = async (kind: string) => {
        const found: string[] = [];
        let from: Record<string, never> | undefined;
        do {
          const page = await after.send(
            new QueryCommand({
              TableName: 'events',
              IndexName: 'byKind',
              KeyConditionExpression: 'kind = :k',
              ExpressionAttributeValues: { ':k': { S: kind } },
              ExclusiveStartKey: from,
            }),
          );
          found.push(...(page.Items ?? []).map((i) => `${i.device?.S}/${i.at?.N}`));
          from = page.LastEvaluatedKey as typeof from;
        } while (from);
        return found.sort();
      };
      for (const kind of ['odd', 'even', 'tx']) {
        const expected = table.filter((i) => i.kind?.S === kind).map((i) => `${i.device?.S}/${i.at?.N}`);
        expect(await indexed(kind)).toEqual(expected.sort());
      }

      // The CLI queries the restarted engine's indexes.
      const lines = async (...args: string[]) => {
        const out = await runLambdata(second.url, 'tables', 'query', 'events', ...args);
        expect(out.stderr).toBe('');
        expect(out.code).toBe(0);
        return out.stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      };
      const d0 = table.filter((i) => i.device?.S === 'd0');
      const byLevel = await lines('{"device": "d0"}', '--index', 'byLevel', '--sort', 'between 2 3');
      expect(byLevel.length).toBe(d0.filter((i) => ['2', '3'].includes(i.level?.N as string)).length);
      expect(byLevel.map((i) => i.level)).toEqual([...byLevel.map((i) => i.level)].sort());
      const newest = await lines('{"device": "d0"}', '--reverse', '--limit', '3');
      expect(newest.map((i) => i.at)).toEqual(
        d0
          .map((i) => Number(i.at?.N))
          .sort((a, b) => b - a)
          .slice(0, 3),
      );
      const bad = await runLambdata(second.url, 'tables', 'query', 'events', '{"device": "d0"}', '--sort', 'like 1');
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/--sort must be/);
    } finally {
      after.destroy();
      await second.kill();
    }
  });
});
