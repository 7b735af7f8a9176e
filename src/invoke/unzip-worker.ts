/**
 * A worker thread that unzips one package (unzip.ts `unzipOffLoop`): the inflate and the file writes
 * run here, off the server's event loop. Answers `{}` when done, `{ error }` with the refusal's message.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { type UnzipAnswer, type UnzipWork, unzipInto } from './unzip.js';

const { zip, target, maxBytes, niceness } = workerData as UnzipWork;
// Linux niceness is per thread and this one inherited the raised server loop's: the inflate of a cold
// start's package is the function's work, so it goes back to the niceness the server started with,
// behind the loop (as the launcher does for every environment).
if (niceness !== undefined) setPriority(niceness);
let answer: UnzipAnswer = {};
try {
  unzipInto(Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength), target, maxBytes);
} catch (err) {
  answer = { error: err instanceof Error ? err.message : String(err) };
}
parentPort?.postMessage(answer);
