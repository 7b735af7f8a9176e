import { join } from 'node:path';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetInfo, ErrorAnswer, QueryAnswer, ViewDetail } from '../../src/api/native/contract.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runLambdata } from '../helpers/cli.js';
import { apiAnswer, until } from '../helpers/native-api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const HOUR = 3_600_000;

/** Polls an async check until it gives a value. */
const T0 = Date.UTC(2026, 0, 5, 10);

function tweet(i: number, hour: number, text: string) {
  return {
    id: `t${i}`,
    user: `u${i % 3}`,
    text,
    hashtags: [],
    created_at: new Date(T0 + hour * HOUR + i).toISOString(),
    lang: 'en',
  };
}

describe('Lambda Architecture over HTTP: dataset → speed → recompute → query', () => {
  let t: TestServer;
  let kinesis: KinesisClient;
  const api = <T>(method: string, path: string, body?: unknown) => apiAnswer<T>(t.url, method, path, body);
  const put = async (events: unknown[]) => {
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: 'tweets',
        Records: events.map((e, i) => ({
          Data: Buffer.from(typeof e === 'string' ? e : JSON.stringify(e)),
          PartitionKey: `p${i % 2}`,
        })),
      }),
    );
  };

  beforeAll(async () => {
    t = await startTestServer('views-http');
    kinesis = new KinesisClient({ ...AWS_TEST_CONFIG, endpoint: t.url });
    t.engine.streams.createStream('tweets', { shardCount: 2 });
  });
  afterAll(async () => {
    kinesis?.destroy();
    await t?.close();
  });

  it('archives, serves speed, recomputes, swaps and keeps the sum exact', async () => {
    const created = await api<DatasetInfo>('POST', '/datasets', { name: 'tw', stream: 'tweets' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'tw', stream: 'tweets', prefix: 'master/tw/', objects: 0 });
    const view = await api<ViewDetail>('POST', '/views', { name: 'words', dataset: 'tw', view: 'word-count-hourly' });
    expect(view.status).toBe(201);
    expect(view.json).toMatchObject({ name: 'words', granularity: 'hour', monoid: 'count', batch: null });

    await put([
      tweet(1, 0, 'hello world'),
      tweet(2, 0, 'hello again'),
      tweet(3, 1, 'hello'),
      tweet(4, 2, 'world hello'),
    ]);
    const speedOnly = await until(async () => {
      const q = await api<QueryAnswer>('GET', '/views/words/query?key=hello');
      return q.json.value === 4 ? q.json : undefined;
    });
    expect(speedOnly).toMatchObject({ batch: { value: 0, version: null }, speed: { value: 4 } });

    // The speed layer commits a batch before its objects are written: the archive follows shortly.
    const ds = await until(async () => {
      const d = await api<DatasetInfo>('GET', '/datasets/tw');
      return d.json.events === 4 ? d : undefined;
    });
    expect(ds.json.events).toBe(4);
    expect(ds.json.objects).toBeGreaterThanOrEqual(3);
    expect(ds.json.completeUpTo).toBeGreaterThanOrEqual(T0 + HOUR);

    const started = await api<{ jobId: string }>('POST', '/views/words/recompute', {});
    expect(started.status).toBe(202);
    expect(started.json.jobId).toMatch(/.+/);
    const busy = await api<ErrorAnswer>('POST', '/views/words/recompute', {});
    expect(busy.status).toBe(409);
    expect(busy.json.error.code).toBe('ResourceConflictException');
    const swapped = await until(
      async () => {
        const v = await api<ViewDetail>('GET', '/views/words');
        return v.json.recompute.running ? undefined : v.json;
      },
      'the recompute to swap its version in',
      60_000,
    );
    expect(swapped.recompute.lastError).toBeUndefined();
    expect(swapped.batch?.version).toBe(1);
    const q = await api<QueryAnswer>('GET', '/views/words/query?key=hello');
    expect(q.json.value).toBe(4);
    expect((q.json.batch.value as number) + (q.json.speed.value as number)).toBe(4);
    expect(q.json.batch.value).toBeGreaterThan(0);
    expect(swapped.top.find((e) => e.key === 'hello')).toMatchObject({ value: 4 });
  }, 90_000);

  it('refuses writes and deletes of master objects through the S3 API', async () => {
    const s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: t.url, forcePathStyle: true });
    try {
      const [key] = t.engine.objects
        .listObjects('lambdata-datasets', { prefix: 'master/tw/' })
        .objects.map((o) => o.key);
      expect(key).toMatch(/^master\/tw\/dt=2026-01-05\/hour=1\d\/part-shardId-.+\.jsonl\.gz$/);
      await expect(s3.send(new DeleteObjectCommand({ Bucket: 'lambdata-datasets', Key: key }))).rejects.toMatchObject({
        name: 'AccessDenied',
      });
      await expect(
        s3.send(new PutObjectCommand({ Bucket: 'lambdata-datasets', Key: key, Body: 'x' })),
      ).rejects.toMatchObject({ name: 'AccessDenied' });
      expect(t.engine.objects.headObject('lambdata-datasets', key as string).size).toBeGreaterThan(0);
    } finally {
      s3.destroy();
    }
  });

  it('answers unknown views and datasets with 404 in the AWS shape', async () => {
    const v = await api<ErrorAnswer>('GET', '/views/nope/query?key=a');
    expect(v.status).toBe(404);
    expect(v.json.error).toEqual({ code: 'ResourceNotFoundException', message: 'View not found: nope' });
    const d = await api<ErrorAnswer>('GET', '/datasets/nope');
    expect(d.status).toBe(404);
    expect(d.json.error.code).toBe('ResourceNotFoundException');
  });

  it('refuses a view module outside the --allow-code-dir directories (the deploy rule for server paths)', async () => {
    const code = join(import.meta.dirname, '../fixtures/views/distinct-users.ts');
    const refused = await api<ErrorAnswer>('POST', '/views', { name: 'outside', dataset: 'tw', code });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('AccessDeniedException');
    expect((await api<ErrorAnswer>('GET', '/views/outside')).status).toBe(404);
  });

  it('drives datasets and views from the CLI', async () => {
    const ls = await runLambdata(t.url, 'dataset', 'ls');
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^tw\s+tweets\s+4\s+/m);
    const views = await runLambdata(t.url, 'views', 'ls');
    expect(views.stdout).toMatch(/^words\s+tw\s+count\/hour\s+1\s+2026-01-05T1\d:00:00.000Z/m);
    await put([tweet(5, 3, 'hello cli')]);
    await until(async () =>
      (await api<QueryAnswer>('GET', '/views/words/query?key=cli')).json.value === 1 ? true : undefined,
    );
    const q = await runLambdata(t.url, 'views', 'query', 'words', 'hello', '--json');
    expect(q.stderr).toBe('');
    expect(q.code).toBe(0);
    expect(JSON.parse(q.stdout)).toMatchObject({ key: 'hello', value: 5, complete: true });
    const re = await runLambdata(t.url, 'views', 'recompute', 'words', '--incremental', '--wait');
    expect(re.stderr).toBe('');
    expect(re.stdout).toMatch(/swapped in version 2 \(horizon 2026-01-05T12:00:00.000Z, 3 events\)/);
    const again = await runLambdata(t.url, 'views', 'query', 'words', 'hello');
    expect(again.stdout).toMatch(/^hello\t5\t\(batch v2 3 before 2026-01-05T12:00:00.000Z \+ speed 2\)/);
    const missing = await runLambdata(t.url, 'views', 'show', 'nope');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('ResourceNotFoundException: View not found: nope');
    const gz = await runLambdata(t.url, 'dataset', 'create', 'tw-gz', '--stream', 'tweets', '--compression', 'gzip');
    expect(gz.stderr).toBe('');
    expect(JSON.parse((await runLambdata(t.url, 'dataset', 'show', 'tw-gz')).stdout)).toMatchObject({
      compression: 'gzip',
    });
    const bad = await runLambdata(t.url, 'dataset', 'create', 'tw-zip', '--stream', 'tweets', '--compression', 'zip');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('compression must be one of none, gzip');
  }, 60_000);

  it('recomputes on a schedule and streams view changes over SSE', async () => {
    const created = await runLambdata(
      t.url,
      'views',
      'create',
      'sched',
      '--dataset',
      'tw',
      '--view',
      'event-count',
      '--every',
      '10',
    );
    expect(created.stdout).toBe('created view sched over tw (count per minute)\n');
    const abort = new AbortController();
    const res = await fetch(`${t.url}/_lambdata/views/events`, { signal: abort.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    try {
      while (!/event: recompute\ndata: \{"view":"sched"[^\n]*"phase":"swapped"/.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
    } finally {
      abort.abort();
    }
    expect(text).toMatch(/event: view\ndata: \{"name":"sched"/);
    const view = await api<ViewDetail>('GET', '/views/sched');
    expect(view.json.recomputeEvery).toBe(10);
    expect(view.json.batch?.version).toBeGreaterThanOrEqual(1);
  }, 40_000);
});
