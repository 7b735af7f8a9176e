import { afterEach, describe, expect, it } from 'vitest';
import { type TestContext, testContext } from '../../../../test/helpers/engine-context.js';
import type { Engine } from '../../../engine.js';
import { StreamStore } from '../../../storage/streams/index.js';
import { JsonText, operations } from './operations.js';

const contexts: TestContext[] = [];
afterEach(() => {
  for (const context of contexts.splice(0)) context.dispose();
});

describe('PutRecords', () => {
  it('answers JSON text with one entry per record, in request order, naming where each went', () => {
    const context = testContext('kinesis-ops');
    contexts.push(context);
    const streams = new StreamStore(context);
    streams.createStream('s', { shardCount: 3 });
    const engine = { streams } as unknown as Engine;
    const records = Array.from({ length: 40 }, (_, i) => ({
      PartitionKey: `"quoted" ключ ${i % 9}`,
      Data: Buffer.from(`r${i}`).toString('base64'),
    }));
    const output = operations.PutRecords?.(engine, { StreamName: 's', Records: records }, 0);
    expect(output).toBeInstanceOf(JsonText);
    const body = JSON.parse((output as JsonText).text) as {
      FailedRecordCount: number;
      Records: Array<{ SequenceNumber: string; ShardId: string }>;
      EncryptionType: string;
    };
    expect(body.FailedRecordCount).toBe(0);
    expect(body.EncryptionType).toBe('NONE');
    expect(body.Records).toHaveLength(40);
    for (const [i, entry] of body.Records.entries()) {
      expect(Object.keys(entry).sort()).toEqual(['SequenceNumber', 'ShardId']);
      const [stored] = streams.readShard('s', entry.ShardId, { at: entry.SequenceNumber }, 1).records;
      expect(stored?.data.toString()).toBe(`r${i}`);
      expect(stored?.partitionKey).toBe(records[i]?.PartitionKey);
    }
  });
});
