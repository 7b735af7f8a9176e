/**
 * Byte-range access to objects from inside a function, over the engine's S3 API (./s3-client.ts).
 * Ranges here are half-open [start, end), as in the split rules.
 */
import { getObject, getObjectChunks, putObject } from './s3-client.js';

const EMPTY = new Uint8Array(0);

/** Reads bytes [start, end) of an object; an empty range reads nothing. */
export async function readRange(bucket: string, key: string, start: number, end: number): Promise<Uint8Array> {
  if (end <= start) return EMPTY;
  return getObject(bucket, key, { start, end: end - 1 });
}

/** Streams bytes [start, end) of an object in the chunks the socket delivers. */
export async function* readChunks(bucket: string, key: string, start: number, end: number): AsyncGenerator<Buffer> {
  if (end <= start) return;
  yield* getObjectChunks(bucket, key, { start, end: end - 1 });
}

/** Reads a whole object. */
export async function readObject(bucket: string, key: string): Promise<Uint8Array> {
  return getObject(bucket, key);
}

/** Writes a whole object. */
export async function writeObject(bucket: string, key: string, body: Uint8Array | string): Promise<void> {
  await putObject(bucket, key, typeof body === 'string' ? Buffer.from(body) : body);
}
