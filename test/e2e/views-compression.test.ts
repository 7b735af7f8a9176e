/**
 * Master objects are gzip unless a dataset asks for plain JSON lines; a dataset created before that
 * setting (its stored config has none) keeps writing gzip after a restart. Objects of every kind are
 * read back through the S3 API as what they are, and views over each recompute, fully and
 * incrementally, to the same counts.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { dropConfigField } from '../helpers/legacy-config.js';
import { until } from '../helpers/native-api.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 4, 1, 8);
const WORDS = ['sun', 'moon', 'star', 'sky'];
/** Dataset → how it was created: plain when asked, gzip by default, and gzip from before the setting existed. */
const DATASETS = { plain: { compression: 'none' }, gz: {}, legacy: { compression: 'gzip' } } as const;

describe('master object compression', () => {
  let dir: string;
  let engine: Engine | undefined;
  let server: RunningServer | undefined;
  let url = '';
  let n = 0;
  /** Events per lower-cased word per hour bucket, in every dataset alike. */
  const expected = new Map<string, number>();

  const open = async () => {
    engine = await createEngine({ dataDir: dir });
    server = await startServer(engine, { port: 0 });
    url = server.url;
    return engine;
  };
  const shut = async () => {
    await server?.close();
    await engine?.close();
    server = undefined;
    engine = undefined;
  };
  /** Puts the same `count` new events into every dataset's stream; waits until each archived them. */
  const put = async (count: number) => {
    const records = Array.from({ length: count }, () => {
      const time = T0 + n * 11 * MINUTE;
      const text = `${WORDS[n % 4]} ${WORDS[(n * 3) % 4]} w${n % 5}`;
      for (const word of text.split(' ')) {
        const id = `${word}@${Math.floor(time / HOUR) * HOUR}`;
        expected.set(id, (expected.get(id) ?? 0) + 1);
      }
      const body = { id: `e${n}`, text, created_at: new Date(time).toISOString() };
      n++;
      return { Data: Buffer.from(JSON.stringify(body)), PartitionKey: `p${n % 3}` };
    });
    const kinesis = new KinesisClient({ ...AWS_TEST_CONFIG, endpoint: url });
    try {
      for (const name of Object.keys(DATASETS)) {
        const out = await kinesis.send(new PutRecordsCommand({ StreamName: name, Records: records }));
        expect(out.FailedRecordCount ?? 0).toBe(0);
      }
    } finally {
      kinesis.destroy();
    }
    const e = engine as Engine;
    await until(() => (Object.keys(DATASETS).every((d) => e.views.dataset(d).events === n) ? true : undefined));
  };
  /** The dataset's master objects as the S3 API answers them: key → body. */
  const objects = async (dataset: string) => {
    const s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: url, forcePathStyle: true });
    try {
      const bucket = 'lambdata-datasets';
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `master/${dataset}/` }));
      const out = new Map<string, Buffer>();
      for (const { Key } of listed.Contents ?? []) {
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
        out.set(
          Key as string,
          Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()),
        );
      }
      return out;
    } finally {
      s3.destroy();
    }
  };
  const lines = (bodies: Iterable<Buffer>, gzip: boolean) =>
    [...bodies]
      .flatMap((b) => (gzip ? gunzipSync(b) : b).toString('utf8').split('\n'))
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line).id as string)
      .sort();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lambdata-views-compression-'));
    const e = await open();
    for (const [name, options] of Object.entries(DATASETS)) {
      e.streams.createStream(name, { shardCount: 2 });
      e.views.createDataset({ name, stream: name, ...options });
    }
    await put(60);
    for (const name of Object.keys(DATASETS))
      await e.views.createView({ name: `${name}-words`, dataset: name, view: 'word-count-hourly' });
    await shut();
    // 'legacy' as an engine from before the setting stored it: no compression in its config.
    expect(dropConfigField(dir, 'la_datasets', 'legacy', 'compression')).toBe('gzip');
    await open();
  }, 60_000);
  afterAll(async () => {
    await shut();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores gzip by default or when the dataset predates the setting, and plain JSON lines when asked', async () => {
    await put(40);
    const ids = Array.from({ length: n }, (_, i) => `e${i}`).sort();
    const plain = await objects('plain');
    expect([...plain.keys()].every((key) => key.endsWith('.jsonl'))).toBe(true);
    expect(lines(plain.values(), false)).toEqual(ids);
    for (const name of ['gz', 'legacy']) {
      const stored = await objects(name);
      expect(
        [...stored.keys()].every((key) => key.endsWith('.jsonl.gz')),
        name,
      ).toBe(true);
      expect(lines(stored.values(), true), name).toEqual(ids);
    }
    expect((engine as Engine).views.dataset('plain').compression).toBe('none');
    expect((engine as Engine).views.dataset('gz').compression).toBe('gzip');
  }, 60_000);

  it('recomputes each kind fully and incrementally to the exact counts', async () => {
    const e = engine as Engine;
    for (const name of Object.keys(DATASETS)) {
      await (await e.views.recompute(`${name}-words`, { incremental: true })).done;
    }
    await put(30);
    for (const name of Object.keys(DATASETS)) {
      const view = `${name}-words`;
      const batchParts = () =>
        [...expected.keys()].map((id) => {
          const [word, bucket] = id.split('@') as [string, string];
          const answer = e.views.query(view, word, { from: Number(bucket), to: Number(bucket) + HOUR });
          expect(answer.value, `${view} ${id}`).toBe(expected.get(id));
          return answer.batch.value;
        });
      await (await e.views.recompute(view, { incremental: true })).done;
      const incremental = { events: e.views.view(view).batch?.events, parts: batchParts() };
      await (await e.views.recompute(view, { incremental: false })).done;
      expect(e.views.view(view).batch?.events, view).toBe(incremental.events);
      expect(incremental.events, view).toBeGreaterThan(100);
      expect(batchParts(), view).toEqual(incremental.parts);
    }
  }, 120_000);
});
