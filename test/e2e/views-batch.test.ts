import { join } from 'node:path';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryAnswer } from '../../src/lambda-arch/index.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { until } from '../helpers/native-api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 4, 1, 8);
const TAGS = ['red', 'green', 'blue'];
const WORDS = ['sun', 'moon', 'star', 'sky'];

describe('batch layer: incremental = full, atomic swaps, retention, bad input', () => {
  let t: TestServer;
  let kinesis: KinesisClient;
  let sqs: SQSClient;
  let clock = T0;
  let n = 0;

  const put = async (count: number, options: { text?: string; raw?: string } = {}) => {
    const records = Array.from({ length: count }, () => {
      clock += 7 * MINUTE;
      n++;
      const body = {
        id: `e${n}`,
        user: `user${n % 11}`,
        text: options.text ?? `${WORDS[n % 4]} ${WORDS[(n * 7) % 4]}`,
        hashtags: [TAGS[n % 3], TAGS[(n + 1) % 3]],
        created_at: new Date(clock).toISOString(),
        lang: 'en',
      };
      return { Data: Buffer.from(options.raw ?? JSON.stringify(body)), PartitionKey: `user${n % 5}` };
    });
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: 'events', Records: records }));
    expect(out.FailedRecordCount ?? 0).toBe(0);
  };
  const caughtUp = () => until(() => (t.engine.views.view('full').speed.lagMs === 0 ? true : undefined));
  const recompute = async (view: string, incremental: boolean) => {
    const started = await t.engine.views.recompute(view, { incremental });
    return started.done;
  };
  const answers = (view: string, key: string, to: number) => {
    const out: QueryAnswer[] = [];
    for (let from = T0; from < to; from += HOUR) out.push(t.engine.views.query(view, key, { from, to: from + HOUR }));
    return out.map((a) => a.value);
  };

  beforeAll(async () => {
    t = await startTestServer('views-batch');
    kinesis = new KinesisClient({ ...AWS_TEST_CONFIG, endpoint: t.url });
    sqs = new SQSClient({ ...AWS_TEST_CONFIG, endpoint: t.url });
    t.engine.streams.createStream('events', { shardCount: 2 });
    t.engine.queues.createQueue('refused');
    t.engine.views.createDataset({
      name: 'ev',
      stream: 'events',
      onFailure: t.engine.queues.queueArn('refused'),
      retention: { days: 400 },
    });
    await put(30);
    await until(() => (t.engine.views.dataset('ev').events === 30 ? true : undefined));
    // Created after data arrived: each view's speed layer is seeded from the master dataset.
    const code = join(import.meta.dirname, '../fixtures/views/distinct-users.ts');
    for (const name of ['full', 'inc'])
      await t.engine.views.createView({ name, dataset: 'ev', view: 'word-count-hourly' });
    for (const name of ['users-full', 'users-inc']) await t.engine.views.createView({ name, dataset: 'ev', code });
  }, 60_000);
  afterAll(async () => {
    kinesis?.destroy();
    sqs?.destroy();
    await t?.close();
  });

  it('gives the same rows incrementally as from scratch, for counts and for a user distinct-count view', async () => {
    for (let wave = 0; wave < 3; wave++) {
      await put(25);
      await caughtUp();
      await Promise.all([
        recompute('full', false),
        recompute('inc', true),
        recompute('users-full', false),
        recompute('users-inc', true),
      ]);
    }
    const full = t.engine.views.view('full');
    const inc = t.engine.views.view('inc');
    expect(full.batch?.version).toBe(3);
    expect(inc.batch?.horizon).toBe(full.batch?.horizon);
    expect(inc.batch?.events).toBe(full.batch?.events);
    expect(full.batch?.events).toBeGreaterThan(60);
    const end = clock + HOUR;
    for (const word of WORDS) {
      expect(answers('inc', word, end)).toEqual(answers('full', word, end));
      expect(t.engine.views.query('inc', word).batch).toEqual({
        ...t.engine.views.query('full', word).batch,
        version: 3,
      });
    }
    for (const tag of TAGS) {
      const a = t.engine.views.query('users-inc', tag);
      const b = t.engine.views.query('users-full', tag);
      expect(a.batch.value).toBe(b.batch.value);
      expect(a.value).toBe(11);
    }
    // Older generations stay readable by version.
    const v1 = t.engine.views.query('full', 'sun', { version: 1 });
    expect(v1.batch.version).toBe(1);
    expect(t.engine.views.view('full').batch?.generations.map((g) => g.version)).toEqual([3, 2, 1]);
  }, 120_000);

  it('swaps atomically: concurrent readers see the old total or the new one, never a mix', async () => {
    await put(20);
    await caughtUp();
    const expected = new Map(WORDS.map((w) => [w, t.engine.views.query('full', w).value]));
    let reads = 0;
    let stop = false;
    const versions = new Set<number | null>();
    const reader = (async () => {
      while (!stop) {
        for (const w of WORDS) {
          const a = t.engine.views.query('full', w);
          expect(a.value).toBe(expected.get(w));
          versions.add(a.batch.version);
          reads++;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const pause = () => new Promise((r) => setTimeout(r, 100));
    await recompute('full', false);
    await pause();
    await recompute('full', true);
    await pause();
    stop = true;
    await reader;
    expect(reads).toBeGreaterThan(50);
    expect(versions.size).toBeGreaterThanOrEqual(2);
    // Generations beyond the kept three are gone.
    expect(t.engine.views.view('full').batch?.generations.map((g) => g.version)).toEqual([5, 4, 3]);
    expect(() => t.engine.views.query('full', 'sun', { version: 1 })).toThrow(/not kept/);
  }, 120_000);

  it('sends invalid and late events to the failure destination with the reason, and counts view errors per event', async () => {
    await put(1, { raw: 'not json at all' });
    await put(1, { raw: JSON.stringify({ id: 'x', text: 'no time here' }) });
    await put(2, { text: 'boom goes the view' });
    const late = { id: 'late', user: 'u', text: 'sun', hashtags: [], created_at: new Date(T0).toISOString() };
    await put(1, { raw: JSON.stringify(late) });
    const reasons: string[] = [];
    await until(async () => {
      const got = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: `${t.url}/000000000000/refused`,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      for (const m of got.Messages ?? []) reasons.push((JSON.parse(m.Body as string) as { reason: string }).reason);
      return reasons.length >= 3 ? true : undefined;
    });
    expect(reasons.sort()).toEqual([
      expect.stringMatching(/^InvalidJson: /),
      expect.stringMatching(/^LateEvent: event time 2026-05-01T08:00:00.000Z is below the sealed horizon/),
      'SchemaViolation: field created_at must hold the event time (ISO-8601 or epoch ms)',
    ]);
    await caughtUp();
    const users = t.engine.views.view('users-full');
    expect(users.errors.count).toBe(2);
    expect(users.errors.last).toBe('boom in the view');
    expect(t.engine.views.query('full', 'boom').value).toBe(2);
    expect(t.engine.views.dataset('ev').rejected).toBe(3);
  }, 60_000);

  it('deletes master objects only through the retention policy', async () => {
    const before = t.engine.views.dataset('ev').objects;
    expect(before).toBeGreaterThan(0);
    expect(() =>
      t.engine.objects.deleteObject(
        'lambdata-datasets',
        t.engine.objects.listObjects('lambdata-datasets', { prefix: 'master/ev/' }).objects[0]?.key as string,
      ),
    ).toThrow(/append-only/);
    // 400 days after the first events, only the newest partitions are within retention.
    const now = T0 + 400 * 24 * HOUR + 6 * HOUR;
    const deleted = await t.engine.views.sweepRetention(now);
    expect(deleted).toBeGreaterThan(0);
    const after = t.engine.views.dataset('ev');
    expect(after.objects).toBe(before - deleted);
    const left = t.engine.objects.listObjects('lambdata-datasets', { prefix: 'master/ev/' }).objects;
    expect(left.length).toBe(after.objects);
    expect(left.length).toBeGreaterThan(0);
    for (const o of left) {
      const [, day, hour] = /dt=(\d{4}-\d\d-\d\d)\/hour=(\d\d)/.exec(o.key) ?? [];
      expect(Date.parse(`${day}T${hour}:00:00Z`)).toBeGreaterThanOrEqual(now - 400 * 24 * HOUR - HOUR);
    }
  });
});
