/**
 * Reducer for word frequencies: merges the `word\tcount` intermediates of one partition into
 * sorted `word\tcount` lines, in bounded memory (../lib/external-reduce.ts: sorted runs spilled to
 * the store and merged as streams once the counts outgrow a quarter of the function's memory).
 */
import { reducePartition } from '../lib/external-reduce.js';
import { answerWithin, type ResultReference } from '../lib/large-result.js';
import type { ReduceEvent, ReduceResult } from '../lib/protocol.js';
import { TopCounts } from '../lib/top-counts.js';

/** Lambda handler. */
export async function handler(event: ReduceEvent): Promise<ReduceResult | ResultReference> {
  const top = new TopCounts();
  let total = 0;
  const stats = await reducePartition<number, number>(
    event,
    {
      parse(line) {
        const tab = line.indexOf('\t');
        return tab < 0 ? null : [line.slice(0, tab), Number(line.slice(tab + 1))];
      },
      add: (state, count) => (state ?? 0) + count,
      merge: (a, b) => a + b,
      format: (word, count) => `${word}\t${count}\n`,
      fixedSize: true,
    },
    (word, count) => {
      total += count;
      top.offer(word, count);
    },
  );
  const result: ReduceResult = {
    partition: event.partition,
    distinct: stats.distinct,
    words: total,
    top: top.list(),
    outputKey: event.outputKey,
    spilledRuns: stats.spilledRuns,
    spilledBytes: stats.spilledBytes,
  };
  return answerWithin(result, event.results, `r${event.partition}`, event.attempt ?? 1);
}
