/** Waiting for something the engine does in the background, without fixed sleeps. */
import type { InvocationRecord } from '../../src/invoke/index.js';
import type { Topic } from '../../src/shared/events.js';

/** Resolves once `check()` returns a value (not undefined/false), checking every 20 ms; rejects after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves with the records seen once `done(seen)` holds (records published on the topic). */
export function collectRecords(
  topic: Topic<InvocationRecord>,
  done: (seen: InvocationRecord[]) => boolean,
  timeoutMs = 20_000,
): Promise<InvocationRecord[]> {
  return new Promise((resolve, reject) => {
    const seen: InvocationRecord[] = [];
    const timer = setTimeout(() => {
      unsubscribe();
      reject(
        new Error(`timed out waiting for records; saw ${JSON.stringify(seen.map((r) => [r.functionName, r.outcome]))}`),
      );
    }, timeoutMs);
    const unsubscribe = topic.subscribe((record) => {
      seen.push(record);
      if (done(seen)) {
        clearTimeout(timer);
        unsubscribe();
        resolve(seen);
      }
    });
  });
}
