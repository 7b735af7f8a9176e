/**
 * Reads a feed of tweets over HTTP: a JSON array or JSON lines of tweet-like objects, either the
 * collector's own shape or Twitter API v1.1 statuses (`id_str`, `user.screen_name`, `full_text`,
 * `entities.hashtags`, `created_at` like "Wed Oct 10 20:19:24 +0000 2018"). Items without text or
 * a valid time are skipped and counted.
 */
import type { Tweet } from './tweets.js';

/** What `readFeed` found. */
export interface FeedBatch {
  tweets: Tweet[];
  /** Items that were not tweets, with why (the first few). */
  skipped: number;
  reasons: string[];
}

const FEED_TIMEOUT_MS = 10_000;
const MAX_FEED_BYTES = 32 * 1024 * 1024;
const MAX_REASONS = 5;

/**
 * Fetches `url` and parses its tweets.
 * @throws Error when the feed answers non-2xx, is too large, or is neither a JSON array nor JSON lines.
 */
export async function readFeed(url: string, now = Date.now()): Promise<FeedBatch> {
  const res = await fetch(url, {
    signal: AbortSignal.timeout(FEED_TIMEOUT_MS),
    headers: { accept: 'application/json' },
  });
  if (!res.ok) throw new Error(`feed ${url} answered ${res.status} ${res.statusText}`);
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_FEED_BYTES) throw new Error(`feed ${url} is ${declared} bytes; the limit is ${MAX_FEED_BYTES}`);
  const body = await res.text();
  if (body.length > MAX_FEED_BYTES) throw new Error(`feed ${url} is over ${MAX_FEED_BYTES} bytes`);
  return parseFeed(body, now);
}

/** Parses a feed body (JSON array or JSON lines); `now` stands in for a missing time. */
export function parseFeed(body: string, now = Date.now()): FeedBatch {
  const batch: FeedBatch = { tweets: [], skipped: 0, reasons: [] };
  const skip = (reason: string) => {
    batch.skipped++;
    if (batch.reasons.length < MAX_REASONS) batch.reasons.push(reason);
  };
  for (const [index, item] of items(body, skip)) {
    const tweet = toTweet(item, now);
    if (typeof tweet === 'string') skip(`item ${index}: ${tweet}`);
    else batch.tweets.push(tweet);
  }
  return batch;
}

function* items(body: string, skip: (reason: string) => void): Generator<[number, unknown]> {
  const trimmed = body.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new Error(`feed is not a JSON array: ${(err as Error).message}`);
    }
    yield* (parsed as unknown[]).entries();
    return;
  }
  const lines = trimmed.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    try {
      yield [i, JSON.parse(line)];
    } catch {
      skip(`line ${i + 1}: not JSON`);
    }
  }
}

type Loose = Record<string, unknown>;

/** A tweet from one feed item, or why it is not one. */
function toTweet(item: unknown, now: number): Tweet | string {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return 'not an object';
  const raw = item as Loose;
  const text = str(raw.full_text) ?? str(raw.text);
  if (!text) return 'no text';
  const userField = raw.user;
  const user =
    typeof userField === 'string'
      ? userField
      : (str((userField as Loose | undefined)?.screen_name) ?? str((userField as Loose | undefined)?.name));
  if (!user) return 'no user';
  const time = raw.created_at === undefined ? now : Date.parse(String(raw.created_at));
  if (Number.isNaN(time)) return `created_at is not a time: ${String(raw.created_at).slice(0, 40)}`;
  const id = str(raw.id_str) ?? (raw.id === undefined ? undefined : String(raw.id)) ?? `${time}-${user}`;
  return {
    id,
    user,
    text,
    hashtags: hashtagsOf(raw, text),
    created_at: new Date(time).toISOString(),
    lang: str(raw.lang) ?? 'und',
  };
}

function hashtagsOf(raw: Loose, text: string): string[] {
  if (Array.isArray(raw.hashtags)) return raw.hashtags.filter((t): t is string => typeof t === 'string');
  const entities = (raw.entities as Loose | undefined)?.hashtags;
  if (Array.isArray(entities)) {
    return entities.map((t) => str((t as Loose | undefined)?.text)).filter((t): t is string => t !== undefined);
  }
  return [...text.matchAll(/#(\w+)/g)].map((m) => m[1] as string);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
