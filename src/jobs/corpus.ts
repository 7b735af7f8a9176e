/**
 * A deterministic, natural-language-like text generator (Zipf-distributed words, varied line
 * lengths, some capitals and punctuation) for the demo bucket, tests and the benchmark.
 */

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ra',
  'ne',
  'to',
  'su',
  'vi',
  'de',
  'an',
  'or',
  'el',
  'us',
  'ti',
  'po',
  'qu',
  'ba',
  'ze',
  'ri',
  'mo',
];
const PUNCT = ['', '', '', '', ',', '.', ';', '!', '?'];

/** A small seeded PRNG (mulberry32): the same seed gives the same corpus everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of `generateText`. */
export interface CorpusOptions {
  seed: number;
  /** Approximate size in bytes (the text ends at a line end at or just past it). */
  bytes: number;
  /** Vocabulary size (default 5000). */
  vocabulary?: number;
}

/** Builds a vocabulary of pseudo-words, the most frequent first. */
function vocabulary(size: number, random: () => number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const syllables = 1 + Math.floor(random() * 4);
    let w = '';
    for (let i = 0; i < syllables; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    if (random() < 0.03) w += String(Math.floor(random() * 100));
    words.add(w);
  }
  return [...words];
}

/** Cumulative Zipf (s = 1) weights over ranks 1..n, for sampling by binary search. */
function zipfTable(n: number): Float64Array {
  const table = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / (i + 1);
    table[i] = sum;
  }
  for (let i = 0; i < n; i++) table[i] = (table[i] as number) / sum;
  return table;
}

/** Generates about `bytes` bytes of text lines, deterministically from `seed`. */
export function generateText(options: CorpusOptions): Buffer {
  const chunks: Buffer[] = [];
  let size = 0;
  for (const chunk of generateChunks(options)) {
    chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks, size);
}

/** The same text as `generateText`, in chunks of about 1 MiB (for large corpora). */
export function* generateChunks(options: CorpusOptions): Generator<Buffer> {
  const random = seededRandom(options.seed);
  const words = vocabulary(options.vocabulary ?? 5000, random);
  const capitalized = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  const table = zipfTable(words.length);
  const pick = () => {
    const r = random();
    let lo = 0;
    let hi = table.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((table[mid] as number) < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let produced = 0;
  const CHUNK = 1 << 20;
  while (produced < options.bytes) {
    const lines: string[] = [];
    let chunkSize = 0;
    while (chunkSize < CHUNK && produced + chunkSize < options.bytes) {
      const n = random() < 0.05 ? 0 : 1 + Math.floor(random() * random() * 30);
      let line = '';
      for (let i = 0; i < n; i++) {
        const w = pick();
        line += (i === 0 ? capitalized[w] : words[w]) + (PUNCT[Math.floor(random() * PUNCT.length)] as string);
        if (i < n - 1) line += random() < 0.02 ? '  ' : ' ';
      }
      line += '\n';
      lines.push(line);
      chunkSize += line.length;
    }
    const chunk = Buffer.from(lines.join(''), 'latin1');
    produced += chunk.length;
    yield chunk;
  }
}

/**
 * About `bytes` bytes of text made quickly from line-aligned blocks of `bases`, picked by a seeded
 * random walk: distinct objects of any size for a large demo corpus, for the cost of generating
 * only the bases.
 */
export function remixText(bases: Buffer[], seed: number, bytes: number, blockBytes = 64 * 1024): Buffer {
  const random = seededRandom(seed);
  const parts: Buffer[] = [];
  let size = 0;
  while (size < bytes && bases.length > 0) {
    const base = bases[Math.floor(random() * bases.length)] as Buffer;
    const from = base.indexOf(0x0a, Math.floor(random() * Math.max(1, base.length - blockBytes))) + 1;
    const end = base.indexOf(0x0a, Math.min(base.length - 1, from + blockBytes));
    const to = end < 0 ? base.length : end + 1;
    if (from <= 0 || to <= from) continue;
    parts.push(base.subarray(from, to));
    size += to - from;
  }
  return Buffer.concat(parts, size);
}
