import { close, read } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Bytes per read: big enough that syscalls and callbacks are a small share of each megabyte moved. */
const CHUNK_MAX = 2 * 1024 * 1024;
const CHUNK_MIN = 64 * 1024;
/** Buffers a `sendTo` rotates through: one being read from disk while the others drain to the socket. */
const SEND_BUFFERS = 3;

/**
 * An object body read from an open file descriptor (a byte range of it), closed when the stream ends or
 * is destroyed. As a Readable it allocates a buffer per chunk, like fs.createReadStream; `sendTo` copies
 * to a writable (an HTTP response) through a few reused buffers instead, so a large GET allocates
 * nothing per chunk and never makes the garbage collector chase gigabytes of short-lived buffers.
 */
export class FileBody extends Readable {
  readonly #fd: number;
  #position: number;
  readonly #end: number;
  readonly #chunk: number;
  #closed = false;

  /** Reads bytes `start`..`end` (inclusive) of `fd`, which this body now owns. */
  constructor(fd: number, start: number, end: number) {
    const length = end - start + 1;
    const chunk = Math.min(Math.max(length, CHUNK_MIN), CHUNK_MAX);
    super({ highWaterMark: chunk });
    this.#fd = fd;
    this.#position = start;
    this.#end = end;
    this.#chunk = chunk;
  }

  override _read(): void {
    const want = Math.min(this.#chunk, this.#end - this.#position + 1);
    if (want <= 0) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafeSlow(want);
    read(this.#fd, buffer, 0, want, this.#position, (err, n) => {
      if (err || n === 0) {
        this.destroy(err ?? new Error('object body file is shorter than its recorded size'));
        return;
      }
      this.#position += n;
      this.push(n === want ? buffer : buffer.subarray(0, n));
    });
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#close((closeErr) => callback(err ?? closeErr));
  }

  /**
   * Writes the rest of the body to `dest` and ends it, resolving once `dest` has finished. Disk reads
   * overlap socket writes, and a buffer is reused only after its write has completed. Rejects with
   * ERR_STREAM_PREMATURE_CLOSE when `dest` closes first (a client that hung up).
   */
  async sendTo(dest: Writable): Promise<void> {
    if (this.readableDidRead || this.destroyed) return pipeline(this, dest);
    let aborted: Error | undefined;
    let wake: (() => void) | undefined;
    const onClose = () => {
      if (!dest.writableFinished) aborted ??= prematureClose();
      wake?.();
    };
    dest.once('close', onClose);
    const buffers = Array.from({ length: SEND_BUFFERS }, () => ({
      data: Buffer.allocUnsafeSlow(this.#chunk),
      writing: Promise.resolve() as Promise<unknown>,
    }));
    try {
      for (let i = 0; this.#position <= this.#end; i = (i + 1) % SEND_BUFFERS) {
        const slot = buffers[i] as (typeof buffers)[number];
        await this.#until(
          slot.writing,
          () => aborted,
          (fn) => (wake = fn),
        );
        if (aborted) throw aborted;
        const want = Math.min(this.#chunk, this.#end - this.#position + 1);
        const n = await readAt(this.#fd, slot.data, want, this.#position);
        if (n === 0) throw new Error('object body file is shorter than its recorded size');
        this.#position += n;
        if (aborted) throw aborted;
        slot.writing = new Promise<void>((resolve, reject) =>
          dest.write(slot.data.subarray(0, n), (err) => (err ? reject(err) : resolve())),
        );
        // A failed write also surfaces through 'close'; never leave its rejection unhandled.
        slot.writing.catch(() => undefined);
      }
      for (const slot of buffers)
        await this.#until(
          slot.writing,
          () => aborted,
          (fn) => (wake = fn),
        );
      if (aborted) throw aborted;
      await new Promise<void>((resolve, reject) => {
        dest.end(() => resolve());
        dest.once('error', reject);
      });
    } catch (err) {
      if (!dest.destroyed) dest.destroy();
      throw aborted ?? err;
    } finally {
      dest.off('close', onClose);
      this.destroy();
    }
  }

  /** Waits for `pending`, or for an abort (the destination closing), whichever comes first. */
  async #until(
    pending: Promise<unknown>,
    abortedNow: () => Error | undefined,
    setWake: (fn: () => void) => void,
  ): Promise<void> {
    if (abortedNow()) return;
    await new Promise<void>((resolve) => {
      setWake(resolve);
      pending.then(
        () => resolve(),
        () => resolve(),
      );
    });
  }

  #close(callback: (err?: Error | null) => void): void {
    if (this.#closed) {
      callback();
      return;
    }
    this.#closed = true;
    close(this.#fd, callback);
  }
}

/** Sends an object body to an HTTP response (or any writable): FileBody.sendTo when it can, else pipeline. */
export function sendBody(body: Readable, dest: Writable): Promise<void> {
  return body instanceof FileBody ? body.sendTo(dest) : pipeline(body, dest);
}

function readAt(fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, 0, length, position, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
