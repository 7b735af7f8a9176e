/**
 * wordcount mapper: words (runs of non-whitespace bytes, as `wc -w`), lines and bytes of each
 * split it is given. Deployable as-is: handler `index.handler`.
 */
import { answerWithin, type ResultReference } from '../lib/large-result.js';
import { runMap } from '../lib/mapper.js';
import type { MapEvent, MapResult } from '../lib/protocol.js';
import { countText } from '../lib/text.js';

/** Lambda handler. */
export async function handler(
  event: MapEvent,
  context: { getRemainingTimeInMillis(): number },
): Promise<MapResult | ResultReference> {
  const run = await runMap(event, context, (bytes, from, to) => countText(bytes, from, to));
  return answerWithin({ taskId: event.taskId, ...run }, event.results, event.taskId, event.attempt);
}
