/**
 * A recompute's map tasks each write their folded states to one object and the engine merges them:
 * no reduce stage. A view created before that (its stored config has no `mapOutput`, its reducer
 * deployed) still recomputes through its reducer, after a restart, to the same rows. Neither leaves
 * objects behind, and with one run kept per kind, a view keeps only its last recompute's job.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { dropConfigField } from '../helpers/legacy-config.js';
import { until } from '../helpers/native-api.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 4, 1, 8);
const WORDS = ['sun', 'moon', 'star', 'sky', 'Sun'];

describe('recompute without a reduce stage', () => {
  let dir: string;
  let engine: Engine | undefined;
  let server: RunningServer | undefined;
  /** The number of events holding each lower-cased word, per hour bucket: what the view must count. */
  const expected = new Map<string, number>();
  /** The recompute jobs of the first test, by view. */
  const jobs: Record<string, string> = {};

  const open = async () => {
    engine = await createEngine({ dataDir: dir, jobRetention: { keepRuns: 1 } });
    server = await startServer(engine, { port: 0 });
    return { engine, url: server.url };
  };
  const shut = async () => {
    await server?.close();
    await engine?.close();
    server = undefined;
    engine = undefined;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lambdata-views-map-output-'));
    const { engine: e, url } = await open();
    const kinesis = new KinesisClient({ ...AWS_TEST_CONFIG, endpoint: url });
    e.streams.createStream('events', { shardCount: 2 });
    e.views.createDataset({ name: 'ev', stream: 'events' });
    const records = Array.from({ length: 120 }, (_, n) => {
      const time = T0 + n * 13 * MINUTE;
      const words = [WORDS[n % 5], WORDS[(n * 3) % 5], `w${n % 7}`, ...(n % 9 === 0 ? ['naïve'] : [])];
      const text = words.join(' ');
      for (const word of text.toLowerCase().split(' ')) {
        const id = `${word}@${Math.floor(time / HOUR) * HOUR}`;
        expected.set(id, (expected.get(id) ?? 0) + 1);
      }
      const body = { id: `e${n}`, text, created_at: new Date(time).toISOString() };
      return { Data: Buffer.from(JSON.stringify(body)), PartitionKey: `p${n % 5}` };
    });
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: 'events', Records: records }));
    kinesis.destroy();
    expect(out.FailedRecordCount ?? 0).toBe(0);
    await until(() => (e.views.dataset('ev').events === 120 ? true : undefined));
    for (const name of ['now', 'old']) await e.views.createView({ name, dataset: 'ev', view: 'word-count-hourly' });
    await shut();
    // 'old' as a version before per-task map outputs stored it.
    expect(dropConfigField(dir, 'la_views', 'old', 'mapOutput')).toBe('per-task');
    await open();
  }, 60_000);
  afterAll(async () => {
    await shut();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('merges the map tasks’ objects in the engine, and an older view still reduces, to the same rows', async () => {
    const e = engine as Engine;
    for (const name of ['now', 'old']) {
      const started = await e.views.recompute(name, { incremental: false });
      await started.done;
      jobs[name] = started.jobId as string;
    }
    expect(e.jobs.get(jobs.now as string).stages.map((s) => s.name)).toEqual(['map']);
    expect(e.jobs.get(jobs.old as string).stages.map((s) => s.name)).toEqual(['map', 'reduce']);
    // The last hour is not complete yet: the batch holds every event before it, the speed layer the rest.
    const events = e.views.view('now').batch?.events;
    expect(events).toBeGreaterThan(100);
    expect(e.views.view('old').batch?.events).toBe(events);
    let batched = 0;
    for (const [id, count] of expected) {
      const [word, bucket] = id.split('@') as [string, string];
      const range = { from: Number(bucket), to: Number(bucket) + HOUR };
      const now = e.views.query('now', word, range);
      const old = e.views.query('old', word, range);
      expect([now.value, old.value], id).toEqual([count, count]);
      expect(now.batch.value, id).toBe(old.batch.value);
      batched += now.batch.value as number;
    }
    expect(batched).toBeGreaterThan(300);
  }, 120_000);

  it('leaves no objects of its jobs, and keeps only the last recompute job of a view, serving the same rows', async () => {
    const e = engine as Engine;
    const bucket = e.views.dataset('ev').bucket;
    // The per-task states and the older view's partitions and reduce outputs are in SQLite rows now.
    expect(e.objects.listObjects(bucket, { prefix: 'views/' }).objects.map((o) => o.key)).toEqual([]);
    const again = await e.views.recompute('now', { incremental: false });
    await again.done;
    // One run kept per kind: this view's first recompute job goes, the other view's stays.
    await until(() => (e.jobs.list().some((j) => j.id === jobs.now) ? undefined : true));
    expect(e.jobs.list().map((j) => j.id)).toEqual(expect.arrayContaining([again.jobId, jobs.old]));
    expect(() => e.jobs.get(jobs.now as string)).toThrow(/Job not found/);
    expect(e.objects.listObjects(bucket, { prefix: 'views/' }).objects).toEqual([]);
    for (const [id, count] of expected) {
      const [word, bucketStart] = id.split('@') as [string, string];
      const range = { from: Number(bucketStart), to: Number(bucketStart) + HOUR };
      expect(e.views.query('now', word, range).value, id).toBe(count);
    }
  }, 120_000);
});
