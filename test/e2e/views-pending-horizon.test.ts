/**
 * A recompute must not seal its horizon above the events of a batch still pending: the speed layer
 * counted them, the master dataset does not hold them yet (the object store refuses the writes), and
 * the swap drops speed buckets below the horizon. Here the shard's archive position is already two
 * hours ago (an earlier batch, since deleted by the dataset's retention, leaving the bucket empty so
 * it can be removed), and the pending batch's events are three hours old. The words of the pending
 * batch keep counting through a recompute while it is pending, and once it lands.
 */
import { CreateStreamCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, DeleteBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import type { DatasetInfo, QueryAnswer } from '../../src/api/native/contract.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runLambdata } from '../helpers/cli.js';
import { api, until } from '../helpers/native-api.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const BUCKET = 'horizon-master';
const HOUR = 3_600_000;

describe('a recompute while a batch is pending', () => {
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    await serve?.close();
  });

  it('keeps the pending batch counted: its horizon stays below the pending events', async () => {
    serve = await startServe('views-pending-horizon');
    const url = serve.url;
    const kinesis = new KinesisClient({ ...AWS_TEST_CONFIG, endpoint: url });
    const s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: url, forcePathStyle: true });
    const put = (id: string, text: string, time: number) =>
      kinesis.send(
        new PutRecordCommand({
          StreamName: 'tw',
          PartitionKey: id,
          Data: Buffer.from(JSON.stringify({ id, user: `u${id}`, text, created_at: new Date(time).toISOString() })),
        }),
      );
    const query = (key: string) => api<QueryAnswer>(url, 'GET', `/views/words/query?key=${key}`);
    const recompute = async () => {
      const re = await runLambdata(url, 'views', 'recompute', 'words', '--wait');
      expect(re.code, re.stderr).toBe(0);
    };
    try {
      const now = Date.now();
      await kinesis.send(new CreateStreamCommand({ StreamName: 'tw', ShardCount: 1 }));
      await api(url, 'POST', '/datasets', { name: 'tw', stream: 'tw', bucket: BUCKET, retention: { hours: 1 } });
      await api(url, 'POST', '/views', { name: 'words', dataset: 'tw', view: 'word-count-hourly' });

      // An earlier batch moves the shard's archive position to two hours ago; retention then deletes it.
      await put('1', 'older', now - 2 * HOUR);
      await until(async () => {
        const d = await api<DatasetInfo>(url, 'GET', '/datasets/tw');
        return d.events === 1 ? d : undefined;
      }, 'the earlier batch to be archived');
      await until(async () => {
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
        return listed.KeyCount === 0 ? true : undefined;
      }, 'retention to delete the earlier batch');

      // The store now refuses the pending batch's objects; the speed layer counts it.
      await s3.send(new DeleteBucketCommand({ Bucket: BUCKET }));
      await put('2', 'alpha beta alpha', now - 3 * HOUR);
      await until(async () => ((await query('alpha')).value === 2 ? true : undefined), 'the speed layer to count it');
      expect((await api<DatasetInfo>(url, 'GET', '/datasets/tw')).events).toBe(1);
      const before = await runLambdata(url, 'views', 'query', 'words', 'alpha');
      expect(before.stdout).toBe('alpha\t2\t(no batch version yet; speed 2)\n');

      await recompute();
      const during = await query('alpha');
      expect({ alpha: during.value, beta: (await query('beta')).value }).toEqual({ alpha: 2, beta: 1 });
      expect(during.batch.horizon).toBeLessThanOrEqual(now - 3 * HOUR);

      // The store accepts writes again: the unit lands in the master dataset, still counted once.
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      await until(async () => {
        const d = await api<DatasetInfo>(url, 'GET', '/datasets/tw');
        return d.events === 2 ? d : undefined;
      }, 'the pending batch to reach the master dataset');
      expect((await query('alpha')).value).toBe(2);
    } finally {
      kinesis.destroy();
      s3.destroy();
    }
  }, 90_000);
});
