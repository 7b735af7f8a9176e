/**
 * The speed layer commits a batch before its master objects are written (so a query sees it without
 * waiting on the object store), and the batch stays pending until they are. While the object store
 * refuses the writes (the dataset's bucket is gone), retries, a `kill -9` and a view created in
 * between must neither lose the batch nor count it twice: once the bucket is back the archive
 * completes and every view counts each event exactly once.
 */
import { CreateStreamCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, DeleteBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import type { DatasetInfo, QueryAnswer } from '../../src/api/native/contract.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { api, until } from '../helpers/native-api.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const BUCKET = 'pending-master';

describe('speed layer ahead of the archive', () => {
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    await serve?.close();
  });

  it('counts a batch once through failed object writes, a kill -9 and a view created while it is pending', async () => {
    serve = await startServe('views-pending');
    const clients = (url: string) => ({
      kinesis: new KinesisClient({ ...AWS_TEST_CONFIG, endpoint: url }),
      s3: new S3Client({ ...AWS_TEST_CONFIG, endpoint: url, forcePathStyle: true }),
    });
    let { kinesis, s3 } = clients(serve.url);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'tw', ShardCount: 1 }));
    await api(serve.url, 'POST', '/datasets', { name: 'tw', stream: 'tw', bucket: BUCKET });
    await api(serve.url, 'POST', '/views', { name: 'words', dataset: 'tw', view: 'word-count-hourly' });
    await s3.send(new DeleteBucketCommand({ Bucket: BUCKET }));

    const tweet = { id: '1', user: 'u1', text: 'alpha beta', created_at: new Date().toISOString() };
    const put = await kinesis.send(
      new PutRecordCommand({ StreamName: 'tw', PartitionKey: 'u1', Data: Buffer.from(JSON.stringify(tweet)) }),
    );
    const query = (url: string, view: string, key: string) =>
      api<QueryAnswer>(url, 'GET', `/views/${view}/query?key=${key}`);
    const first = serve.url;
    const seen = await until(async () => {
      const a = await query(first, 'words', 'alpha');
      return a.value === 1 ? a : undefined;
    }, 'the speed layer to count the event');
    // Visible at once, with the speed position at the record, while its object cannot be written.
    expect(seen.speed.shards[put.ShardId as string]).toBe(put.SequenceNumber);
    await new Promise((r) => setTimeout(r, 1500)); // the archiver retries meanwhile
    const pending = await api<DatasetInfo>(serve.url, 'GET', '/datasets/tw');
    expect(pending.objects).toBe(0);
    expect(pending.events).toBe(0);
    expect((await query(serve.url, 'words', 'alpha')).value).toBe(1);

    kinesis.destroy();
    s3.destroy();
    await serve.crash();
    serve = await startServe('views-pending', { dir: serve.dir });
    ({ kinesis, s3 } = clients(serve.url));
    const second = serve.url;
    try {
      expect((await query(serve.url, 'words', 'alpha')).value).toBe(1);
      // A view created while the batch is pending is seeded from the archive, which lacks it: the
      // completed archive applies the batch to it (and only to it).
      await api(serve.url, 'POST', '/views', { name: 'words2', dataset: 'tw', view: 'word-count-hourly' });
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      const done = await until(async () => {
        const d = await api<DatasetInfo>(second, 'GET', '/datasets/tw');
        return d.events === 1 ? d : undefined;
      }, 'the archive to complete');
      expect(done.objects).toBe(1);
      for (const view of ['words', 'words2'])
        for (const word of ['alpha', 'beta']) {
          const answer = await query(serve.url, view, word);
          expect({ view, word, value: answer.value, complete: answer.complete }).toEqual({
            view,
            word,
            value: 1,
            complete: true,
          });
        }
    } finally {
      kinesis.destroy();
      s3.destroy();
    }
  }, 90_000);
});
