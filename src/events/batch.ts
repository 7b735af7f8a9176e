import { setTimeout as sleep } from 'node:timers/promises';
import type { InvokeResult } from '../invoke/index.js';
import { hasCode } from '../shared/errors.js';

/** What one invocation with a batch came to. */
export type BatchOutcome =
  | { kind: 'success' }
  /** ReportBatchItemFailures: the item identifiers the function reported as failed. */
  | { kind: 'partial'; failedIds: string[] }
  | { kind: 'failed'; result?: InvokeResult; error?: unknown };

/** Why records were given up on (the `condition` of an on-failure record). */
export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** How one ordered lane of records is processed. */
export interface OrderedLaneOptions<R> {
  batchSize: number;
  /** -1: retry until the records expire. */
  maximumRetryAttempts: number;
  /** -1: never. */
  maximumRecordAgeInSeconds: number;
  bisectBatchOnFunctionError: boolean;
  itemId(record: R): string;
  /** Epoch ms the record arrived. */
  arrival(record: R): number;
  invoke(records: R[]): Promise<BatchOutcome>;
  /** Sends records given up on to the on-failure destination (if any). */
  discard(
    records: R[],
    condition: FailureCondition,
    outcome: BatchOutcome | undefined,
    attempts: number,
  ): Promise<void>;
  /** Called when every record up to and including `record` is done (processed or discarded). */
  done(record: R): void;
  now(): number;
  signal: AbortSignal;
}

const MAX_BACKOFF_MS = 1000;

/**
 * Processes records strictly in order, batch by batch, as a Kinesis/DynamoDB poller does:
 * failed batches are retried (bisected when asked) until they succeed, exhaust their retries or
 * expire; a partial failure retries from the lowest failed record. Resolves false when aborted
 * before every record was done (the caller must then not move its checkpoint past `done`).
 */
export async function processInOrder<R>(records: R[], o: OrderedLaneOptions<R>): Promise<boolean> {
  const pending: { records: R[]; attempts: number }[] = [];
  for (let i = 0; i < records.length; i += o.batchSize)
    pending.push({ records: records.slice(i, i + o.batchSize), attempts: 0 });
  while (pending.length > 0) {
    if (o.signal.aborted) return false;
    const item = pending.shift() as { records: R[]; attempts: number };
    let batch = item.records;
    let attempts = item.attempts;
    for (;;) {
      if (o.signal.aborted) return false;
      if (o.maximumRecordAgeInSeconds >= 0) {
        const cutoff = o.now() - o.maximumRecordAgeInSeconds * 1000;
        const expired = batch.filter((r) => o.arrival(r) < cutoff);
        if (expired.length > 0) {
          await o.discard(expired, 'RecordAgeExceeded', undefined, attempts);
          batch = batch.filter((r) => o.arrival(r) >= cutoff);
          if (batch.length === 0) {
            o.done(expired[expired.length - 1] as R);
            break;
          }
        }
      }
      const outcome = await o.invoke(batch);
      if (outcome.kind === 'success') {
        o.done(batch[batch.length - 1] as R);
        break;
      }
      if (outcome.kind === 'partial') {
        const index = lowestFailed(batch, outcome.failedIds, o.itemId);
        if (index === undefined) {
          o.done(batch[batch.length - 1] as R);
          break;
        }
        if (index > 0) o.done(batch[index - 1] as R);
        batch = batch.slice(index);
      }
      attempts += 1;
      if (outcome.kind === 'failed' && isThrottle(outcome)) attempts -= 1;
      else if (o.maximumRetryAttempts >= 0 && attempts > o.maximumRetryAttempts) {
        if (o.bisectBatchOnFunctionError && batch.length > 1) {
          bisectInto(pending, batch);
          break;
        }
        await o.discard(batch, 'RetryAttemptsExhausted', outcome, attempts);
        o.done(batch[batch.length - 1] as R);
        break;
      } else if (o.bisectBatchOnFunctionError && batch.length > 1 && outcome.kind === 'failed') {
        // Splitting does not count against the retry quota: each half starts afresh.
        bisectInto(pending, batch);
        break;
      }
      try {
        await sleep(Math.min(MAX_BACKOFF_MS, 20 * 2 ** Math.min(attempts, 6)), undefined, { signal: o.signal });
      } catch (err) {
        if (o.signal.aborted) return false;
        throw err;
      }
    }
  }
  return true;
}

function bisectInto<R>(pending: { records: R[]; attempts: number }[], batch: R[]): void {
  const half = Math.ceil(batch.length / 2);
  pending.unshift({ records: batch.slice(0, half), attempts: 0 }, { records: batch.slice(half), attempts: 0 });
}

/**
 * Index of the lowest failed record; a failure naming no record of the batch (empty or unknown
 * identifier) fails the whole batch, as AWS treats it. Undefined when nothing failed.
 */
function lowestFailed<R>(batch: R[], failedIds: string[], itemId: (r: R) => string): number | undefined {
  if (failedIds.length === 0) return undefined;
  const ids = batch.map(itemId);
  let lowest = Number.POSITIVE_INFINITY;
  for (const id of failedIds) {
    const index = ids.indexOf(id);
    if (index < 0) return 0;
    lowest = Math.min(lowest, index);
  }
  return lowest;
}

function isThrottle(outcome: { error?: unknown }): boolean {
  return hasCode(outcome.error, 'TooManyRequestsException');
}

/**
 * Reads what a function returned for a batch: a function error is a failure; with
 * ReportBatchItemFailures, `{ batchItemFailures: [{ itemIdentifier }] }` names failed items
 * (a malformed answer fails the whole batch).
 */
export function outcomeOf(result: InvokeResult, reportBatchItemFailures: boolean): BatchOutcome {
  if (result.functionError) return { kind: 'failed', result };
  if (!reportBatchItemFailures) return { kind: 'success' };
  const text = result.payload.toString('utf8').trim();
  if (text === '' || text === 'null') return { kind: 'success' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { kind: 'failed', result, error: err };
  }
  const failures = (parsed as { batchItemFailures?: unknown } | null)?.batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failed', result };
  const ids: string[] = [];
  for (const f of failures) {
    const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '') return { kind: 'failed', result };
    ids.push(id);
  }
  return ids.length ? { kind: 'partial', failedIds: ids } : { kind: 'success' };
}
