/**
 * Tumbling windows of a stream mapping (TumblingWindowInSeconds), as Lambda defines them: every
 * record belongs to the fixed window its arrival time falls in; the window's batches are invoked
 * in order with the state the previous invocation returned; when the window is over, one final
 * invocation (no records, `isFinalInvokeForWindow: true`) hands the function the finished state.
 */
import type { InvokeResult } from '../invoke/index.js';
import { type BatchOutcome, outcomeOf } from './batch.js';

/** A window's start (epoch ms) and the state the last invocation in it returned. */
export interface WindowState {
  start: number;
  state: unknown;
}

/** Lambda ends a window early when its state grows past 1 MB. */
export const MAX_WINDOW_STATE_BYTES = 1024 * 1024;

/** The start (epoch ms) of the window an arrival time (epoch ms) falls in; windows align to the epoch. */
export function windowStart(arrival: number, seconds: number): number {
  const size = seconds * 1000;
  return Math.floor(arrival / size) * size;
}

/** The leading records that share the first record's window. */
export function leadingWindow<R>(records: R[], arrival: (r: R) => number, seconds: number): R[] {
  const first = records[0];
  if (first === undefined) return [];
  const start = windowStart(arrival(first), seconds);
  const end = records.findIndex((r) => windowStart(arrival(r), seconds) !== start);
  return end < 0 ? records : records.slice(0, end);
}

/** The members a windowed event carries beside `Records`. */
export function windowFields(
  window: WindowState,
  seconds: number,
  context: { shardId: string; eventSourceArn: string; final: boolean; terminatedEarly: boolean },
): Record<string, unknown> {
  return {
    window: {
      start: new Date(window.start).toISOString(),
      end: new Date(window.start + seconds * 1000).toISOString(),
    },
    state: window.state ?? {},
    shardId: context.shardId,
    eventSourceARN: context.eventSourceArn,
    isFinalInvokeForWindow: context.final,
    isWindowTerminatedEarly: context.terminatedEarly,
  };
}

/**
 * Reads a windowed invocation's answer: it must be an object with a `state` member (else the
 * invocation counts as failed, as on AWS); batch item failures are read as without windows.
 */
export function windowOutcome(
  result: InvokeResult,
  reportBatchItemFailures: boolean,
): { outcome: BatchOutcome; state?: unknown } {
  if (result.functionError) return { outcome: { kind: 'failed', result } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.payload.toString('utf8'));
  } catch (error) {
    return { outcome: { kind: 'failed', result, error } };
  }
  if (parsed === null || typeof parsed !== 'object' || !('state' in parsed)) {
    return {
      outcome: { kind: 'failed', result, error: new Error('a windowed function must return an object with a state') },
    };
  }
  const outcome = outcomeOf(result, reportBatchItemFailures);
  return { outcome, state: (parsed as { state: unknown }).state };
}

/** True when a state is too large to carry on (the window then ends early). */
export function stateTooLarge(state: unknown): boolean {
  return Buffer.byteLength(JSON.stringify(state ?? {})) > MAX_WINDOW_STATE_BYTES;
}
