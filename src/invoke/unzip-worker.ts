/**
 * A worker thread that unzips one package (unzip.ts `unzipOffLoop`): the inflate and the file writes
 * run here, off the server's event loop. Answers `{}` when done, `{ error }` with the refusal's message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type UnzipAnswer, unzipInto } from './unzip.js';

const { zip, target, maxBytes } = workerData as { zip: Uint8Array; target: string; maxBytes: number };
let answer: UnzipAnswer = {};
try {
  unzipInto(Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength), target, maxBytes);
} catch (err) {
  answer = { error: err instanceof Error ? err.message : String(err) };
}
parentPort?.postMessage(answer);
