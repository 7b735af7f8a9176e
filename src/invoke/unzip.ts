import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Unzip, UnzipInflate } from 'fflate';
import { childNiceness } from '../runtime/index.js';
import { InvalidParameterValue } from '../shared/errors.js';
import { distPath } from '../shared/paths.js';
import { executableEntries } from './zip-modes.js';

/** What the unzip worker answers: nothing on success, the refusal's message otherwise. */
export interface UnzipAnswer {
  error?: string;
}

const CHUNK = 64 * 1024;

/** What unzip-worker.ts is started with. */
export interface UnzipWork {
  zip: Uint8Array;
  target: string;
  maxBytes: number;
  /** The niceness the server started with (undefined when it was never raised): the worker returns to it. */
  niceness: number | undefined;
}

/**
 * Unzips into `target` on a worker thread (unzip-worker.ts), so the event loop keeps serving while a
 * big package inflates. Throws InvalidParameterValueException as `unzipInto` does.
 */
export function unzipOffLoop(zip: Buffer, target: string, maxBytes: number): Promise<void> {
  return new Promise((resolveDone, reject) => {
    const workerData: UnzipWork = { zip, target, maxBytes, niceness: childNiceness() };
    const worker = new Worker(distPath('invoke/unzip-worker.js'), { workerData });
    let answered = false;
    worker.once('message', (answer: UnzipAnswer) => {
      answered = true;
      if (answer.error === undefined) resolveDone();
      else reject(new InvalidParameterValue(answer.error));
    });
    worker.once('error', (err) =>
      reject(new InvalidParameterValue(`ZipFile: could not unzip the package: ${err.message}`, { cause: err })),
    );
    worker.once('exit', (code) => {
      if (!answered) reject(new InvalidParameterValue(`ZipFile: could not unzip the package (worker exited ${code})`));
    });
  });
}

/**
 * Unzips into `target`, counting real decompressed bytes so a zip bomb stops at the limit.
 * @throws InvalidParameterValueException for a broken zip, an entry escaping `target` or too many bytes.
 */
export function unzipInto(zip: Buffer, target: string, maxBytes: number): void {
  let total = 0;
  let failure: Error | undefined;
  const executables = executableEntries(zip);
  const unzip = new Unzip((file) => {
    if (failure) return;
    const path = safeEntryPath(target, file.name);
    if (file.name.endsWith('/')) {
      mkdirSync(path, { recursive: true });
      return;
    }
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, 'w', executables.has(file.name) ? 0o755 : 0o644);
    let open = true;
    file.ondata = (err, chunk, final) => {
      if (failure) return;
      if (err) {
        failure = new InvalidParameterValue(`ZipFile: could not unzip '${file.name}': ${err.message}`, { cause: err });
      } else {
        total += chunk.length;
        if (total > maxBytes) {
          failure = new InvalidParameterValue(`ZipFile: unzipped size must be smaller than ${maxBytes} bytes`);
        } else {
          writeSync(fd, chunk);
        }
      }
      if ((final || failure) && open) {
        open = false;
        closeSync(fd);
      }
      if (failure) file.terminate();
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let offset = 0; offset < zip.length && !failure; offset += CHUNK) {
      unzip.push(zip.subarray(offset, offset + CHUNK), offset + CHUNK >= zip.length);
    }
  } catch (err) {
    if (err instanceof InvalidParameterValue) throw err;
    throw new InvalidParameterValue(`ZipFile: could not unzip the package: ${(err as Error).message}`, { cause: err });
  }
  if (failure) throw failure;
}

/** Resolves an entry name inside `target`; refuses absolute paths and `..` escapes. */
function safeEntryPath(target: string, name: string): string {
  const normal = name.replace(/\\/g, '/');
  if (normal.startsWith('/') || /^[a-zA-Z]:/.test(normal) || normal.split('/').includes('..')) {
    throw new InvalidParameterValue(`ZipFile: entry '${name}' escapes the package directory`);
  }
  const path = resolve(target, normal);
  if (path !== target && !path.startsWith(target + sep)) {
    throw new InvalidParameterValue(`ZipFile: entry '${name}' escapes the package directory`);
  }
  return path;
}
