/**
 * collector: the tweet loader of the Lambda Architecture demo, run on a schedule. Reads a feed URL
 * when one is configured, otherwise generates a synthetic tweet stream (see tweets.ts), and puts
 * the tweets into a Kinesis stream, partition key = user. Deployable as-is: handler `index.handler`.
 *
 * Settings come from the event when it carries them (a schedule's constant input, or a direct
 * invoke), else from the environment:
 *   stream          STREAM_NAME       the stream to write (required)
 *   feedUrl         FEED_URL          read this feed instead of generating
 *   rate            RATE              synthetic tweets per second outside bursts (default 20)
 *   durationSeconds DURATION_SECONDS  how long one run keeps producing, in real time (default 55,
 *                                     capped by the function's remaining time)
 *   count           COUNT             instead: generate exactly this many at once, event times
 *                                     spaced as at `rate` from `start`
 *   start           START             event time of the first tweet in count mode (ISO or ms; default now)
 *   seed            SEED              same seed (and start) → same tweets (default: random)
 *   users           USERS             size of the user population (default 5000)
 */
import { readFeed } from './feed.js';
import { StreamSink } from './sink.js';
import { type Tweet, TweetStream } from './tweets.js';

/** The settings of one run. */
export interface CollectorSettings {
  stream: string;
  feedUrl?: string;
  rate: number;
  durationSeconds: number;
  count?: number;
  start?: number;
  seed: number;
  users: number;
}

/** What one run did. */
export interface CollectorResult {
  stream: string;
  source: 'feed' | 'synthetic';
  records: number;
  requests: number;
  retried: number;
  skipped?: number;
  skippedReasons?: string[];
  firstEventTime?: string;
  lastEventTime?: string;
  trending?: string[];
}

const TICK_MS = 200;
/** Left of the timeout when a paced run stops, for the last batch to land. */
const MARGIN_MS = 3_000;

/** Lambda handler. */
export async function handler(
  event: unknown,
  context: { getRemainingTimeInMillis(): number },
): Promise<CollectorResult> {
  const settings = readSettings(event ?? {}, process.env);
  const sink = new StreamSink(settings.stream);
  try {
    if (settings.feedUrl) return await collectFeed(settings, settings.feedUrl, sink);
    if (settings.count !== undefined) return await collectCount(settings, settings.count, sink);
    const budget = Math.min(settings.durationSeconds * 1000, context.getRemainingTimeInMillis() - MARGIN_MS);
    return await collectPaced(settings, budget, sink);
  } finally {
    sink.close();
  }
}

/**
 * Settings from the event's fields, else the environment's.
 * @throws Error naming the setting that is missing or malformed.
 */
export function readSettings(event: unknown, env: Record<string, string | undefined>): CollectorSettings {
  const given = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const value = (field: string, variable: string) => {
    const v = given[field] ?? env[variable];
    return v === undefined || v === '' ? undefined : v;
  };
  const stream = value('stream', 'STREAM_NAME');
  if (typeof stream !== 'string') throw new Error('collector: no stream configured (event "stream" or STREAM_NAME)');
  const feedUrl = value('feedUrl', 'FEED_URL');
  if (feedUrl !== undefined && (typeof feedUrl !== 'string' || !/^https?:\/\//.test(feedUrl))) {
    throw new Error(`collector: feedUrl must be an http(s) URL: ${String(feedUrl)}`);
  }
  const start = value('start', 'START');
  const startMs = start === undefined ? undefined : typeof start === 'number' ? start : Date.parse(String(start));
  if (startMs !== undefined && Number.isNaN(startMs)) throw new Error(`collector: start is not a time: ${start}`);
  const count = value('count', 'COUNT');
  return {
    stream,
    ...(feedUrl ? { feedUrl: feedUrl as string } : {}),
    rate: positive(value('rate', 'RATE') ?? 20, 'rate'),
    durationSeconds: positive(value('durationSeconds', 'DURATION_SECONDS') ?? 55, 'durationSeconds'),
    ...(count !== undefined ? { count: integer(count, 'count') } : {}),
    ...(startMs !== undefined ? { start: startMs } : {}),
    seed:
      value('seed', 'SEED') === undefined
        ? Math.floor(Math.random() * 2 ** 31)
        : integer(value('seed', 'SEED'), 'seed'),
    users: integer(value('users', 'USERS') ?? 5000, 'users'),
  };
}

async function collectFeed(settings: CollectorSettings, url: string, sink: StreamSink): Promise<CollectorResult> {
  const feed = await readFeed(url);
  if (feed.skipped > 0) console.warn(`skipped ${feed.skipped} feed items: ${feed.reasons.join('; ')}`);
  await sink.put(feed.tweets);
  return {
    ...result(settings, 'feed', sink, feed.tweets),
    skipped: feed.skipped,
    ...(feed.reasons.length ? { skippedReasons: feed.reasons } : {}),
  };
}

async function collectCount(settings: CollectorSettings, count: number, sink: StreamSink): Promise<CollectorResult> {
  const tweets = new TweetStream({ ...settings, start: settings.start ?? Date.now() });
  const batch: Tweet[] = [];
  const trending = new Set<string>();
  for (let i = 0; i < count; i++) {
    batch.push(tweets.next());
    if (tweets.trending) trending.add(tweets.trending);
  }
  await sink.put(batch);
  return { ...result(settings, 'synthetic', sink, batch), trending: [...trending] };
}

/** Produces in real time: each tick puts the tweets whose event time has come. */
async function collectPaced(settings: CollectorSettings, budgetMs: number, sink: StreamSink): Promise<CollectorResult> {
  const begin = Date.now();
  const tweets = new TweetStream({ ...settings, start: begin });
  const trending = new Set<string>();
  let first: Tweet | undefined;
  let last: Tweet | undefined;
  while (Date.now() - begin < budgetMs) {
    const now = Date.now();
    const due: Tweet[] = [];
    while (tweets.peekTime() <= now) {
      due.push(tweets.next());
      if (tweets.trending) trending.add(tweets.trending);
    }
    if (due.length > 0) {
      await sink.put(due);
      first ??= due[0];
      last = due.at(-1);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, TICK_MS - (Date.now() - now))));
  }
  console.log(`put ${sink.counts.records} tweets in ${Date.now() - begin} ms`);
  return { ...result(settings, 'synthetic', sink, first && last ? [first, last] : []), trending: [...trending] };
}

function result(
  settings: CollectorSettings,
  source: CollectorResult['source'],
  sink: StreamSink,
  tweets: readonly Tweet[],
): CollectorResult {
  const times = tweets.map((t) => t.created_at).sort();
  return {
    stream: settings.stream,
    source,
    ...sink.counts,
    ...(times.length ? { firstEventTime: times[0], lastEventTime: times.at(-1) } : {}),
  };
}

function positive(v: unknown, name: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`collector: ${name} must be a positive number: ${String(v)}`);
  return n;
}

function integer(v: unknown, name: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`collector: ${name} must be a non-negative integer: ${String(v)}`);
  return n;
}
