import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Tweet {
  id: string;
  user: string;
  text: string;
  hashtags: string[];
  created_at: string;
  lang: string;
}

let server: TestServer;
let kinesis: KinesisClient;
let lambda: LambdaClient;
let feed: Server;
let feedUrl: string;
let streams = 0;

/** A feed of Twitter v1.1-style statuses as JSON lines, with one line that is not JSON and one without text. */
const FEED = [
  JSON.stringify({
    id_str: '1001',
    user: { screen_name: 'ada' },
    full_text: 'Batch views and speed views #lambda',
    entities: { hashtags: [{ text: 'lambda' }] },
    created_at: 'Wed Oct 10 20:19:24 +0000 2018',
    lang: 'en',
  }),
  '{ not json',
  JSON.stringify({ id: 1002, user: 'grace', text: 'the master dataset is immutable #data #bigdata' }),
  JSON.stringify({ id: 1003, user: 'linus' }),
].join('\n');

beforeAll(async () => {
  server = await startTestServer('collector');
  await server.engine.jobs.deployBuiltins(['collector']);
  kinesis = new KinesisClient({ ...AWS_TEST_CONFIG, endpoint: server.url });
  lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: server.url });
  feed = createServer((req, res) => {
    if (req.url === '/tweets.jsonl') res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(FEED);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => feed.listen(0, '127.0.0.1', resolve));
  feedUrl = `http://127.0.0.1:${(feed.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  kinesis?.destroy();
  lambda?.destroy();
  await new Promise((resolve) => feed?.close(resolve));
  await server?.close();
});

async function newStream(shards = 2): Promise<string> {
  const name = `tweets-${++streams}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  return name;
}

async function invoke(payload: unknown): Promise<{ error?: string; result: Record<string, unknown> }> {
  const answer = await lambda.send(
    new InvokeCommand({ FunctionName: 'collector', Payload: Buffer.from(JSON.stringify(payload)) }),
  );
  const result = JSON.parse(Buffer.from(answer.Payload ?? []).toString() || 'null');
  return { ...(answer.FunctionError ? { error: answer.FunctionError } : {}), result };
}

/** Every record of the stream, per shard in sequence order, with its partition key. */
async function readAll(stream: string): Promise<Array<{ tweet: Tweet; key: string; shard: string }>> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  const out: Array<{ tweet: Tweet; key: string; shard: string }> = [];
  for (const shard of Shards) {
    let { ShardIterator: iterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      for (const r of page.Records ?? []) {
        out.push({
          tweet: JSON.parse(Buffer.from(r.Data ?? []).toString()),
          key: r.PartitionKey ?? '',
          shard: shard.ShardId ?? '',
        });
      }
      iterator = page.Records?.length ? page.NextShardIterator : undefined;
    }
  }
  return out;
}

describe('collector function', () => {
  it('puts a seeded synthetic tweet stream into Kinesis, identical for the same seed and start', async () => {
    const first = await newStream();
    const second = await newStream();
    const settings = { count: 3000, seed: 42, rate: 100, start: '2026-03-01T12:00:00.000Z' };
    const a = await invoke({ ...settings, stream: first });
    expect(a.error).toBeUndefined();
    expect(a.result).toMatchObject({ stream: first, source: 'synthetic', records: 3000 });
    await invoke({ ...settings, stream: second });
    const [one, two] = [await readAll(first), await readAll(second)];
    expect(one).toHaveLength(3000);
    const byId = (rows: typeof one) => rows.map((r) => r.tweet).sort((x, y) => x.id.localeCompare(y.id));
    expect(byId(two)).toEqual(byId(one));
    // A different seed gives a different stream.
    const third = await newStream();
    await invoke({ ...settings, seed: 43, stream: third });
    expect(byId(await readAll(third))).not.toEqual(byId(one));

    const tweets = one.map((r) => r.tweet);
    for (const { tweet, key } of one) {
      expect(key).toBe(tweet.user);
      expect(Object.keys(tweet).sort()).toEqual(['created_at', 'hashtags', 'id', 'lang', 'text', 'user']);
      for (const tag of tweet.hashtags) expect(tweet.text).toContain(`#${tag}`);
    }
    expect(new Set(one.map((r) => r.shard)).size).toBe(2);
    // Event times start at `start` and advance at about `rate` per second (bursts run faster).
    const times = tweets.map((t) => Date.parse(t.created_at)).sort((x, y) => x - y);
    expect(times[0]).toBe(Date.parse(settings.start));
    const spanS = ((times.at(-1) as number) - (times[0] as number)) / 1000;
    expect(spanS).toBeGreaterThan(3000 / 100 / 4);
    expect(spanS).toBeLessThan((3000 / 100) * 1.5);
    expect(new Set(tweets.map((t) => t.id)).size).toBe(3000);
    // Zipf activity: a few users write much of the stream, most write once or twice.
    const perUser = counts(tweets.map((t) => t.user));
    expect(perUser[0]).toBeGreaterThan(30);
    expect(perUser.filter((n) => n <= 2).length).toBeGreaterThan(perUser.length / 2);
    // Zipf words from a real vocabulary: "the" leads, and the 10 most common words carry a large share.
    const words = counts(tweets.flatMap((t) => t.text.toLowerCase().match(/\b[a-z]+\b/g) ?? []));
    const wordTotal = words.reduce((s, n) => s + n, 0);
    expect(words.slice(0, 10).reduce((s, n) => s + n, 0) / wordTotal).toBeGreaterThan(0.15);
    expect(tweets.filter((t) => t.hashtags.length > 0).length).toBeGreaterThan(300);
  }, 60_000);

  it('produces in real time for durationSeconds at the configured rate', async () => {
    const stream = await newStream(1);
    const before = Date.now();
    const { error, result } = await invoke({ stream, rate: 100, durationSeconds: 2, seed: 1 });
    expect(error).toBeUndefined();
    const rows = await readAll(stream);
    expect(rows.length).toBe(result.records);
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.length).toBeLessThan(2 * 100 * 5);
    for (const { tweet } of rows) {
      const t = Date.parse(tweet.created_at);
      expect(t).toBeGreaterThanOrEqual(before - 1000);
      expect(t).toBeLessThanOrEqual(Date.now());
    }
  }, 30_000);

  it('reads a feed URL of JSON lines, normalises Twitter statuses and reports what it skipped', async () => {
    const stream = await newStream(1);
    const { error, result } = await invoke({ stream, feedUrl: `${feedUrl}/tweets.jsonl` });
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ source: 'feed', records: 2, skipped: 2 });
    expect(result.skippedReasons).toEqual(['line 2: not JSON', 'item 3: no text']);
    const tweets = (await readAll(stream)).map((r) => r.tweet);
    expect(tweets.find((t) => t.user === 'ada')).toEqual({
      id: '1001',
      user: 'ada',
      text: 'Batch views and speed views #lambda',
      hashtags: ['lambda'],
      created_at: '2018-10-10T20:19:24.000Z',
      lang: 'en',
    });
    expect(tweets.find((t) => t.user === 'grace')?.hashtags).toEqual(['data', 'bigdata']);
  }, 30_000);

  it('fails clearly on bad settings: no stream, a bad feed, an unknown stream', async () => {
    const noStream = await invoke({ count: 1 });
    expect(noStream.error).toBe('Unhandled');
    expect(noStream.result.errorMessage).toMatch(/no stream configured/);
    const badRate = await invoke({ stream: 'x', rate: -1 });
    expect(badRate.result.errorMessage).toMatch(/rate must be a positive number/);
    const missing = await invoke({ stream: await newStream(1), feedUrl: `${feedUrl}/missing` });
    expect(missing.result.errorMessage).toMatch(/answered 404/);
    const unknown = await invoke({ stream: 'no-such-stream', count: 5, seed: 1 });
    expect(unknown.error).toBe('Unhandled');
    expect(unknown.result.errorType).toBe('ResourceNotFoundException');
  }, 30_000);
});

/** Occurrences per distinct value, largest first. */
function counts(values: string[]): number[] {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m.values()].sort((a, b) => b - a);
}
