/**
 * Task results too large to answer: Lambda's synchronous response carries at most 6 MB, so a
 * mapper, reducer or cascade whose JSON result is larger writes it to the job's output location
 * (one object per task and attempt) and answers a small reference; the coordinator reads it back.
 * Pure rules shared by the coordinator and the built-in functions (functions/lib/large-result.ts).
 */

/** Where a job's functions write results too large to answer: the job's output bucket and prefix. */
export interface ResultStore {
  bucket: string;
  /** Ends in `/`; under the job's output prefix (which job listings exclude). */
  prefix: string;
}

/** A result written to the store instead of answered. */
export interface ResultReference {
  resultRef: { bucket: string; key: string; bytes: number };
}

/** Lambda's limit on a synchronous response. */
export const RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;
/** Results larger than this (JSON bytes) go through the store: room is left for the answer's envelope. */
export const INLINE_RESULT_BYTES = RESPONSE_LIMIT_BYTES - 256 * 1024;

/** The folder of the result objects under a job's output prefix. */
export const RESULTS_FOLDER = 'results/';

/** The key of the result of one attempt of a task. */
export function resultKey(store: ResultStore, taskId: string, attempt: number): string {
  return `${store.prefix}${taskId}-a${attempt}.json`;
}

/** Whether an answered result is a reference to a stored one. */
export function isResultReference(value: unknown): value is ResultReference {
  if (typeof value !== 'object' || value === null || !('resultRef' in value)) return false;
  const ref = (value as ResultReference).resultRef;
  return typeof ref?.bucket === 'string' && typeof ref.key === 'string' && typeof ref.bytes === 'number';
}
