import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { cbor, tag } from '@smithy/core/cbor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signedFetch } from '../helpers/signed-fetch.js';

// No JavaScript client speaks Kinesis' CBOR protocol, so these requests are encoded the way the Java SDKs send
// them: `application/x-amz-cbor-1.1`, blobs as CBOR byte strings, timestamps as tag(1) epoch milliseconds.

let t: TestServer;
let kinesis: KinesisClient;

beforeAll(async () => {
  t = await startTestServer('kinesis-cbor', { background: false });
  kinesis = new KinesisClient({ endpoint: t.server.url, ...AWS_TEST_CONFIG });
  t.engine.streams.createStream('cbor', { shardCount: 1 });
});

afterAll(async () => {
  kinesis?.destroy();
  await t?.close();
});

async function call(action: string, body: Record<string, unknown>) {
  const res = await signedFetch(
    t.server.url,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-cbor-1.1', 'x-amz-target': `Kinesis_20131202.${action}` },
      body: cbor.serialize(body),
    },
    'kinesis',
  );
  expect(res.headers.get('content-type')).toBe('application/x-amz-cbor-1.1');
  return { status: res.status, headers: res.headers, body: cbor.deserialize(new Uint8Array(await res.arrayBuffer())) };
}

describe('kinesis CBOR protocol', () => {
  it('puts binary records as byte strings that JSON clients read back unchanged', async () => {
    const data = Uint8Array.from([0, 1, 2, 0xff, 0xfe, 10]);
    const put = await call('PutRecord', { StreamName: 'cbor', PartitionKey: 'k', Data: data });
    expect(put.status).toBe(200);
    expect(put.body.ShardId).toBe('shardId-000000000000');
    expect(typeof put.body.SequenceNumber).toBe('string');

    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: 'cbor',
        ShardId: 'shardId-000000000000',
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    expect(Buffer.from(Records?.[0]?.Data ?? []).equals(Buffer.from(data))).toBe(true);
  });

  it('answers GetRecords with byte strings and millisecond timestamps, and honours AT_TIMESTAMP in ms', async () => {
    const before = Date.now();
    await kinesis.send(new PutRecordCommand({ StreamName: 'cbor', PartitionKey: 'k', Data: Buffer.from('after') }));
    const batch = await call('PutRecords', {
      StreamName: 'cbor',
      Records: [{ PartitionKey: 'a', Data: new TextEncoder().encode('second') }],
    });
    expect(batch.body.FailedRecordCount).toBe(0);

    const it = await call('GetShardIterator', {
      StreamName: 'cbor',
      ShardId: 'shardId-000000000000',
      ShardIteratorType: 'AT_TIMESTAMP',
      Timestamp: tag({ tag: 1, value: before - 1 }),
    });
    const got = await call('GetRecords', { ShardIterator: it.body.ShardIterator });
    const records = got.body.Records as {
      Data: Uint8Array;
      ApproximateArrivalTimestamp: { tag: number; value: number };
    }[];
    expect(records.map((r) => Buffer.from(r.Data).toString())).toEqual(['after', 'second']);
    const arrival = records[0]?.ApproximateArrivalTimestamp;
    expect(Number(arrival?.tag)).toBe(1);
    expect(Number(arrival?.value)).toBeGreaterThanOrEqual(before - 1000);
    expect(Number(arrival?.value)).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('reports errors in CBOR with the error type', async () => {
    const missing = await call('DescribeStream', { StreamName: 'nope' });
    expect(missing.status).toBe(400);
    expect(missing.body.__type).toBe('ResourceNotFoundException');
    expect(missing.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');

    const res = await signedFetch(
      t.server.url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-cbor-1.1', 'x-amz-target': 'Kinesis_20131202.PutRecord' },
        body: Uint8Array.from([0xff, 0x00, 0x13]),
      },
      'kinesis',
    );
    expect(res.status).toBe(400);
    expect(cbor.deserialize(new Uint8Array(await res.arrayBuffer())).__type).toBe('SerializationException');
  });
});
