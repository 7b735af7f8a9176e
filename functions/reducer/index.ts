/**
 * Reducer for word frequencies: merges the `word\tcount` intermediates of one partition (a
 * partition holds only its hash share of the vocabulary, which bounds memory) and writes them
 * as sorted `word\tcount` lines.
 */
import { readObject, writeObject } from '../lib/object-io.js';
import type { ReduceEvent, ReduceResult } from '../lib/protocol.js';

const TOP = 20;

/** Lambda handler. */
export async function handler(event: ReduceEvent): Promise<ReduceResult> {
  const freq = new Map<string, number>();
  for (const key of event.inputs) {
    const text = Buffer.from(await readObject(event.bucket, key)).toString('utf8');
    for (const line of text.split('\n')) {
      const tab = line.indexOf('\t');
      if (tab < 0) continue;
      const word = line.slice(0, tab);
      freq.set(word, (freq.get(word) ?? 0) + Number(line.slice(tab + 1)));
    }
  }
  const words = [...freq.keys()].sort();
  let total = 0;
  const out: string[] = [];
  for (const word of words) {
    const count = freq.get(word) as number;
    total += count;
    out.push(`${word}\t${count}\n`);
  }
  await writeObject(event.bucket, event.outputKey, out.join(''));
  const top = [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP);
  return { partition: event.partition, distinct: words.length, words: total, top, outputKey: event.outputKey };
}
