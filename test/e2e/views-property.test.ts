/**
 * The serving layer's promise, checked as a property (fast-check, seeded): during continuous
 * ingestion with concurrent recomputes, invalid events, a kill -9 of `lambdata serve`, a forced
 * redelivery of the whole stream and a restart, every sampled query equals an exact recount of the
 * acknowledged valid events up to the speed layer's checkpoint that the answer itself reports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { QueryAnswer, ViewInfo } from '../../src/api/native/contract.js';
import { artifactDir } from '../helpers/artifacts.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { LAMBDATA_BIN } from '../helpers/cli.js';
import { apiAnswer } from '../helpers/native-api.js';

const SEED = Number(process.env.LAMBDATA_PROPERTY_SEED ?? 1207);
const VOCAB = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'] as const;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 2, 1);

interface Acked {
  shardId: string;
  sequence: bigint;
  time: number;
  words: string[];
}

const eventArb = fc.record({
  words: fc.array(fc.constantFrom(...VOCAB), { minLength: 1, maxLength: 4 }),
  user: fc.integer({ min: 0, max: 7 }),
  gapMs: fc.integer({ min: 0, max: 25 * 60_000 }),
  invalid: fc.integer({ min: 0, max: 24 }).map((n) => n === 0),
});
const roundArb = fc.record({
  events: fc.array(eventArb, { minLength: 5, maxLength: 40 }),
  recompute: fc.constantFrom('none', 'full', 'incremental'),
  samples: fc.array(
    fc.record({
      word: fc.constantFrom(...VOCAB),
      from: fc.option(fc.integer({ min: -2, max: 30 }), { nil: undefined }),
      hours: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
    }),
    { minLength: 2, maxLength: 4 },
  ),
});
const scenarioArb = fc.record({
  rounds: fc.array(roundArb, { minLength: 6, maxLength: 6 }),
  killAfter: fc.integer({ min: 1, max: 4 }),
});

/** A `lambdata serve` process over a data dir. */
async function serve(dataDir: string): Promise<{ child: ChildProcess; url: string; exited: Promise<void> }> {
  const child = spawn(process.execPath, [LAMBDATA_BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { PATH: process.env.PATH ?? '', HOME: dataDir, LAMBDATA_LOG: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  return { child, url, exited };
}

/** The exact count of `word` among acknowledged valid events up to the answer's checkpoints, in [from, to). */
function recount(acked: Acked[], answer: QueryAnswer, word: string): number {
  const upTo = new Map(Object.entries(answer.speed.shards).map(([s, q]) => [s, BigInt(q)]));
  const lo = answer.from ?? Number.NEGATIVE_INFINITY;
  const hi = answer.to ?? Number.POSITIVE_INFINITY;
  let n = 0;
  for (const e of acked) {
    const limit = upTo.get(e.shardId);
    if (limit === undefined || e.sequence > limit) continue;
    const bucket = Math.floor(e.time / HOUR) * HOUR;
    if (bucket < lo || bucket >= hi) continue;
    for (const w of e.words) if (w === word) n++;
  }
  return n;
}

describe('batch ⊕ speed equals a recount (property, kill -9, redelivery)', () => {
  const dir = artifactDir('views-property-');
  afterAll(() => dir.remove());

  it('holds at every sampled moment', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const dataDir = join(dir.path, `run-${Date.now()}`);
        let server = await serve(dataDir);
        const api = <T>(method: string, path: string, body?: unknown) => apiAnswer<T>(server.url, method, path, body);
        let kinesis = new KinesisClient({ ...AWS_TEST_CONFIG, endpoint: server.url, maxAttempts: 1 });
        const acked: Acked[] = [];
        let invalid = 0;
        let clock = T0;
        let samples = 0;
        try {
          expect((await api('POST', '/streams', { name: 'tweets', shards: 2 })).status).toBe(201);
          expect((await api('PUT', '/queues/refused', {})).status).toBeLessThan(300);
          const created = await api('POST', '/datasets', {
            name: 'tw',
            stream: 'tweets',
            batchSize: 25,
            onFailure: 'arn:aws:sqs:us-east-1:000000000000:refused',
          });
          expect(created.status).toBe(201);
          expect(
            (await api('POST', '/views', { name: 'words', dataset: 'tw', view: 'word-count-hourly' })).status,
          ).toBe(201);

          const check = async (word: string, from?: number, hours?: number) => {
            const params = new URLSearchParams({ key: word });
            const lo = from === undefined ? undefined : T0 + from * HOUR;
            if (lo !== undefined) params.set('from', String(lo));
            if (lo !== undefined && hours !== undefined) params.set('to', String(lo + hours * HOUR));
            const { status, json } = await api<QueryAnswer>('GET', `/views/words/query?${params}`);
            expect(status).toBe(200);
            expect(json.value, JSON.stringify(json)).toBe(recount(acked, json, word));
            expect((json.batch.value as number) + (json.speed.value as number)).toBe(json.value);
            samples++;
            return json;
          };

          for (const [index, round] of scenario.rounds.entries()) {
            const records = round.events.map((e, i) => {
              clock += e.gapMs;
              const body = {
                id: `r${index}-${i}`,
                user: `user${e.user}`,
                text: e.words.join(' '),
                hashtags: [],
                created_at: new Date(clock).toISOString(),
                lang: 'en',
              };
              return {
                e,
                time: clock,
                data: e.invalid ? `{not json ${i}` : JSON.stringify(body),
                key: `user${e.user}`,
              };
            });
            const out = await kinesis.send(
              new PutRecordsCommand({
                StreamName: 'tweets',
                Records: records.map((r) => ({ Data: Buffer.from(r.data), PartitionKey: r.key })),
              }),
            );
            expect(out.FailedRecordCount ?? 0).toBe(0);
            out.Records?.forEach((r, i) => {
              const rec = records[i] as (typeof records)[number];
              if (rec.e.invalid) invalid++;
              else
                acked.push({
                  shardId: r.ShardId as string,
                  sequence: BigInt(r.SequenceNumber as string),
                  time: rec.time,
                  words: rec.e.words,
                });
            });
            if (round.recompute !== 'none') {
              const started = await api('POST', '/views/words/recompute', {
                incremental: round.recompute === 'incremental',
              });
              expect([202, 409]).toContain(started.status);
            }
            for (const s of round.samples) await check(s.word, s.from, s.hours);

            if (index === scenario.killAfter) {
              kinesis.destroy();
              server.child.kill('SIGKILL');
              await server.exited;
              // Redelivery: rewind the archiver's read position to the start of the stream.
              const db = new Database(join(dataDir, 'lambdata.db'));
              try {
                db.prepare("UPDATE esm_checkpoints SET position = '{}' WHERE uuid LIKE 'consumer:%'").run();
              } finally {
                db.close();
              }
              server = await serve(dataDir);
              kinesis = new KinesisClient({ ...AWS_TEST_CONFIG, endpoint: server.url, maxAttempts: 1 });
              for (const s of round.samples) await check(s.word, s.from, s.hours);
            }
          }

          // Caught up and quiet: every word over all time is complete and exact, before and after a final swap.
          const settle = async () => {
            for (const deadline = Date.now() + 40_000; Date.now() < deadline; ) {
              const { json } = await api<ViewInfo>('GET', '/views/words');
              const q = await check('alpha');
              if (!json.recompute.running && q.complete) return;
              await new Promise((r) => setTimeout(r, 100));
            }
            throw new Error('the view did not settle');
          };
          await settle();
          for (const word of VOCAB) expect((await check(word)).complete).toBe(true);
          let final = await api('POST', '/views/words/recompute', {});
          while (final.status === 409) {
            await new Promise((r) => setTimeout(r, 200));
            final = await api('POST', '/views/words/recompute', {});
          }
          await settle();
          const total = acked.reduce((n, e) => n + e.words.length, 0);
          let sum = 0;
          for (const word of VOCAB) {
            const q = await check(word);
            expect(q.complete).toBe(true);
            sum += q.value as number;
          }
          expect(sum).toBe(total);
          const view = await api<ViewInfo>('GET', '/views/words');
          expect(view.json.batch?.version).toBeGreaterThanOrEqual(1);
          expect(view.json.batch?.events).toBeGreaterThan(0);
          const info = await api<{ events: number; rejected: number }>('GET', '/datasets/tw');
          expect(info.json.events).toBe(acked.length);
          expect(info.json.rejected).toBe(invalid);
          expect(samples).toBeGreaterThan(10);
        } finally {
          kinesis.destroy();
          server.child.kill('SIGKILL');
          await server.exited;
        }
      }),
      { seed: SEED, numRuns: 1, endOnFailure: true },
    );
  }, 120_000);
});
