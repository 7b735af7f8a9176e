/**
 * grep mapper: lines matching `params.pattern` (a JavaScript regular expression, `params.flags`
 * optional), reported with their line index within each piece; the coordinator turns those into
 * line numbers by a prefix sum of the pieces' line counts.
 */
import { answerWithin, type ResultReference } from '../lib/large-result.js';
import { runMap } from '../lib/mapper.js';
import type { MapEvent, MapResult } from '../lib/protocol.js';

const MAX_MATCHES_PER_TASK = 10_000;

/** Lambda handler. */
export async function handler(
  event: MapEvent,
  context: { getRemainingTimeInMillis(): number },
): Promise<MapResult | ResultReference> {
  const pattern = event.params?.pattern;
  if (typeof pattern !== 'string') throw new Error('grep needs params.pattern (a string)');
  const regex = new RegExp(pattern, typeof event.params?.flags === 'string' ? event.params.flags : '');
  let total = 0;
  const run = await runMap(event, context, (bytes, from, to, piece) => {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('utf8');
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    let words = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = (lines[i] as string).replace(/\r$/, '');
      if (regex.test(line) && total < MAX_MATCHES_PER_TASK) {
        piece.matches ??= [];
        piece.matches.push([piece.lines + i, line]);
        total++;
      }
      words += line.split(/[ \t\n\v\f\r]+/).filter(Boolean).length;
    }
    return { words, lines: lines.length, bytes: to - from };
  });
  return answerWithin({ taskId: event.taskId, ...run }, event.results, event.taskId, event.attempt);
}
