/**
 * A synthetic tweet stream, deterministic under a seed: a population of users whose activity is
 * Zipf-distributed, texts of Zipf-distributed words from a real vocabulary, hashtags, mentions,
 * and bursts (a topic trends and the rate multiplies for a while). Arrivals are a Poisson process.
 */
import { seededRandom } from '../../src/jobs/corpus.js';
import { HASHTAGS, NAME_ENDS, NAME_STARTS, TOPICS, type Topic, WORDS } from './vocabulary.js';

/** The tweet-like event the collector writes; its event time is `created_at`. */
export interface Tweet {
  id: string;
  user: string;
  text: string;
  hashtags: string[];
  created_at: string;
  lang: string;
}

/** Options of `TweetStream`. */
export interface TweetStreamOptions {
  /** The same seed and start give the same tweets. */
  seed: number;
  /** Mean tweets per second outside bursts. */
  rate: number;
  /** Event time of the stream's start (epoch ms). */
  start: number;
  /** Size of the user population (default 5000). */
  users?: number;
}

/** Zipf exponent of user activity and of word frequency. */
const ZIPF_S = 1.07;
/** Twitter's snowflake epoch: tweet ids carry their time, as real ones do. */
const SNOWFLAKE_EPOCH = 1288834974657n;
/** Per second, the chance a burst starts; a burst multiplies the rate and lasts 5–20 s. */
const BURST_CHANCE = 0.02;
const BURST_FACTOR = 4;
/** Share of tweets during a burst that are about its topic. */
const BURST_SHARE = 0.6;

/** A generator of tweets in event-time order; `next()` gives the next one and advances the clock. */
export class TweetStream {
  #random: () => number;
  #users: string[];
  #userRanks: ZipfSampler;
  #wordRanks = new ZipfSampler(WORDS.length, ZIPF_S);
  #tagRanks = new ZipfSampler(HASHTAGS.length, ZIPF_S);
  #rate: number;
  #clock: number;
  #sequence = 0;
  #burst: { topic: Topic; until: number } | undefined;
  #nextBurstCheck: number;

  /** @throws RangeError for a rate or population that is not a positive number. */
  constructor(options: TweetStreamOptions) {
    if (!(options.rate > 0) || !Number.isFinite(options.rate))
      throw new RangeError(`rate must be > 0: ${options.rate}`);
    const population = options.users ?? 5000;
    if (!Number.isInteger(population) || population < 1) throw new RangeError(`users must be a positive integer`);
    // The population depends on the seed alone, so successive runs see the same users.
    this.#users = userNames(population, seededRandom(options.seed));
    this.#userRanks = new ZipfSampler(population, ZIPF_S);
    this.#random = seededRandom(mix(options.seed, options.start));
    this.#rate = options.rate;
    this.#clock = options.start;
    this.#nextBurstCheck = options.start;
  }

  /** Event time (epoch ms, fractional) of the tweet `next()` will return. */
  peekTime(): number {
    return this.#clock;
  }

  /** The next tweet; the clock then moves on by an exponential inter-arrival time. */
  next(): Tweet {
    const at = this.#clock;
    this.#updateBurst(at);
    const tweet = this.#compose(at);
    const rate = this.#burst ? this.#rate * BURST_FACTOR : this.#rate;
    this.#clock = at + (-Math.log(1 - this.#random()) / rate) * 1000;
    return tweet;
  }

  /** The topic trending now, if a burst is on. */
  get trending(): string | undefined {
    return this.#burst?.topic.hashtag;
  }

  #updateBurst(at: number): void {
    if (this.#burst && at >= this.#burst.until) this.#burst = undefined;
    while (this.#nextBurstCheck <= at) {
      if (!this.#burst && this.#random() < BURST_CHANCE) {
        const topic = pick(TOPICS, this.#random);
        this.#burst = { topic, until: this.#nextBurstCheck + 5000 + this.#random() * 15000 };
      }
      this.#nextBurstCheck += 1000;
    }
  }

  #compose(at: number): Tweet {
    const random = this.#random;
    const user = this.#users[this.#userRanks.sample(random)] as string;
    const topic = this.#burst && random() < BURST_SHARE ? this.#burst.topic : undefined;
    const length = 5 + Math.floor(random() * 16);
    const words: string[] = [];
    for (let i = 0; i < length; i++) {
      words.push(
        topic && random() < 0.25 ? pick(topic.words, random) : (WORDS[this.#wordRanks.sample(random)] as string),
      );
    }
    if (random() < 0.08) {
      const other = this.#users[this.#userRanks.sample(random)] as string;
      if (other !== user) words.unshift(`@${other}`);
    }
    const hashtags: string[] = [];
    if (topic) hashtags.push(topic.hashtag);
    const extra = random() < 0.35 ? 1 + Math.floor(random() * 2) : 0;
    for (let i = 0; i < extra; i++) {
      const tag = HASHTAGS[this.#tagRanks.sample(random)] as string;
      if (!hashtags.includes(tag)) hashtags.push(tag);
    }
    words[0] = capitalize(words[0] as string);
    const text = `${words.join(' ')}${pick(ENDINGS, random)}${hashtags.map((t) => ` #${t}`).join('')}`;
    return { id: this.#id(at), user, text, hashtags, created_at: new Date(Math.floor(at)).toISOString(), lang: 'en' };
  }

  /** A snowflake-like id: milliseconds since the epoch, then a sequence number. */
  #id(at: number): string {
    const ms = BigInt(Math.floor(at)) - SNOWFLAKE_EPOCH;
    return ((ms << 22n) | BigInt(this.#sequence++ % 4_194_304)).toString();
  }
}

/** Samples ranks 0..n-1 with P(k) ∝ 1/(k+1)^s, by binary search over the cumulative weights. */
export class ZipfSampler {
  #cumulative: Float64Array;

  constructor(n: number, s: number) {
    this.#cumulative = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += 1 / (k + 1) ** s;
      this.#cumulative[k] = total;
    }
    for (let k = 0; k < n; k++) this.#cumulative[k] = (this.#cumulative[k] as number) / total;
  }

  /** One rank, drawn with `random` (uniform in [0, 1)). */
  sample(random: () => number): number {
    const u = random();
    let lo = 0;
    let hi = this.#cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#cumulative[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

const ENDINGS = ['', '', '', '!', '.', '?', ' :)', '!!', '...'] as const;

function userNames(count: number, random: () => number): string[] {
  const names = new Set<string>();
  while (names.size < count) {
    const base = `${pick(NAME_STARTS, random)}_${pick(NAME_ENDS, random)}`;
    names.add(random() < 0.3 && names.has(base) === false ? base : `${base}${Math.floor(random() * 1000)}`);
  }
  return [...names];
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

function capitalize(word: string): string {
  return word.startsWith('@') ? word : word.charAt(0).toUpperCase() + word.slice(1);
}

/** Combines the seed and the start time into one 32-bit PRNG seed. */
function mix(seed: number, start: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const part of [start % 2 ** 32, Math.floor(start / 2 ** 32)]) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  return h;
}
