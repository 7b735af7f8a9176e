/**
 * Answers a result within Lambda's 6 MB response limit: a result whose JSON is larger is written to
 * the job's result store (one object per task and attempt) and answered as a small reference the
 * coordinator reads back (src/jobs/result-refs.ts).
 */

import { INLINE_RESULT_BYTES, type ResultReference, type ResultStore, resultKey } from '../../src/jobs/result-refs.js';
import { writeObject } from './object-io.js';

export { INLINE_RESULT_BYTES, type ResultReference, type ResultStore } from '../../src/jobs/result-refs.js';

/** The result itself when it fits, else a reference to where it was written. Without a store the result is answered as is. */
export async function answerWithin<T>(
  result: T,
  store: ResultStore | undefined,
  taskId: string,
  attempt: number,
): Promise<T | ResultReference> {
  if (!store) return result;
  const text = JSON.stringify(result);
  if (Buffer.byteLength(text) <= INLINE_RESULT_BYTES) return result;
  return storeResult(text, store, taskId, attempt);
}

/** Writes a result's JSON text to the store and answers its reference. */
export async function storeResult(
  text: string,
  store: ResultStore,
  taskId: string,
  attempt: number,
): Promise<ResultReference> {
  const body = Buffer.from(text);
  const key = resultKey(store, taskId, attempt);
  await writeObject(store.bucket, key, body);
  return { resultRef: { bucket: store.bucket, key, bytes: body.length } };
}
