import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';

const SERVER = join(import.meta.dirname, '../fixtures/streams/server.mjs');
const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-streams-crash-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('stream durability', () => {
  it('keeps every acknowledged PutRecords record after kill -9 of the engine', async () => {
    expect(existsSync(join(import.meta.dirname, '../../dist/engine.js')), 'run npm run build').toBe(true);
    const setup = await createEngine({ dataDir, background: false });
    setup.streams.createStream('durable', { shardCount: 2 });
    await setup.close();

    const child = spawn(process.execPath, [SERVER, dataDir], {
      env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'error' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const url = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
    const kinesis = new KinesisClient({
      endpoint: url,
      ...AWS_TEST_CONFIG,
      maxAttempts: 1,
    });
    const acknowledged = new Map<string, string>();
    let batch = 0;
    let killed = false;
    const writer = async () => {
      while (!killed) {
        const n = batch++;
        const records = Array.from({ length: 50 }, (_, i) => ({
          PartitionKey: `k${i}`,
          Data: Buffer.from(`b${n}-r${i}`),
        }));
        try {
          const out = await kinesis.send(new PutRecordsCommand({ StreamName: 'durable', Records: records }));
          out.Records?.forEach((r, i) => {
            acknowledged.set(r.SequenceNumber as string, `b${n}-r${i}`);
          });
          if (acknowledged.size >= 2000 && !killed) {
            killed = true;
            child.kill('SIGKILL');
          }
        } catch (err) {
          if (!killed) throw err;
        }
      }
    };
    await Promise.all([writer(), writer(), writer()]);
    await exited;
    kinesis.destroy();

    const engine = await createEngine({ dataDir, background: false });
    try {
      const found = new Map<string, string>();
      for (const shard of engine.streams.listShards('durable')) {
        let from = {};
        for (;;) {
          const read = engine.streams.readShard('durable', shard.shardId, from, 10_000);
          for (const r of read.records) found.set(r.sequenceNumber, r.data.toString('utf8'));
          if (read.records.length === 0) break;
          from = read.next;
        }
      }
      expect(acknowledged.size).toBeGreaterThanOrEqual(2000);
      for (const [sequence, data] of acknowledged) expect(found.get(sequence)).toBe(data);
    } finally {
      await engine.close();
    }
  });
});
