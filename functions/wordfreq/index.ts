/**
 * wordfreq mapper: counts lowercased `[A-Za-z][A-Za-z0-9]*` words of its splits (map-side
 * combining in the WebAssembly word table of ../lib/wasm-words.ts), then writes them as `word\tcount` lines into R partition objects,
 * chosen by FNV-1a 32 of the word's UTF-8 bytes, for the reducers. The lines are in no particular
 * order: the reducer folds them into a table and sorts its distinct words once.
 */
import { answerWithin, type ResultReference } from '../lib/large-result.js';
import { runMap } from '../lib/mapper.js';
import { writeObject } from '../lib/object-io.js';
import type { MapEvent, MapResult } from '../lib/protocol.js';
import { countText, partitionOf } from '../lib/text.js';
import { WordCounter } from '../lib/wasm-words.js';

/** Lambda handler. */
export async function handler(
  event: MapEvent,
  context: { getRemainingTimeInMillis(): number },
): Promise<MapResult | ResultReference> {
  const freq = new WordCounter();
  const run = await runMap(event, context, (bytes, from, to) => ({
    words: freq.add(bytes, from, to),
    lines: countText(bytes, from, to).lines, // the SIMD newline count: far cheaper than indexOf per line
    bytes: to - from,
  }));
  const shuffle = event.shuffle;
  if (!shuffle) {
    // Without a shuffle the counts travel back in the answer (small inputs only).
    const custom = Object.fromEntries([...freq.entries()].map(([w, n]) => [w, n]));
    return answerWithin({ taskId: event.taskId, ...run, custom }, event.results, event.taskId, event.attempt);
  }
  const parts: Array<Array<[string, number]>> = Array.from({ length: shuffle.partitions }, () => []);
  for (const [word, count, hash] of freq.entries()) parts[partitionOf(hash, shuffle.partitions)]?.push([word, count]);
  const keys = parts.map(
    (_, r) => `${shuffle.prefix}map/${event.taskId}-a${event.attempt}/part-${String(r).padStart(5, '0')}`,
  );
  const text = (entries: Array<[string, number]>) => entries.map(([w, n]) => `${w}\t${n}\n`).join('');
  await Promise.all(parts.map((entries, r) => writeObject(shuffle.bucket, keys[r] as string, text(entries))));
  return { taskId: event.taskId, ...run, partitions: keys };
}
