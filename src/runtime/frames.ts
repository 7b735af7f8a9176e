/**
 * Framing of the engine ↔ environment socket: each message is one frame, written with one write.
 *
 *   u32 LE  length of everything after this field
 *   u32 LE  length of the header
 *   header  JSON of the message without its payload
 *   body    the message's `p` as raw bytes (absent when empty: payloads are never empty JSON)
 *
 * Payloads are JSON text already, so they cross as bytes: no escaping into the header, no parse
 * on the engine side, and no v8 serializer on either side.
 */

import { FrameError } from './run-errors.js';

const PREFIX = 8;

/** One frame holding `header` (JSON) and `body` (the payload bytes or text). */
export function encodeFrame(header: object, body?: Buffer | string): Buffer {
  const json = JSON.stringify(header);
  const headerBytes = Buffer.byteLength(json);
  const bodyBytes = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const frame = Buffer.allocUnsafe(PREFIX + headerBytes + bodyBytes);
  frame.writeUInt32LE(4 + headerBytes + bodyBytes, 0);
  frame.writeUInt32LE(headerBytes, 4);
  frame.write(json, PREFIX, 'utf8');
  if (typeof body === 'string') frame.write(body, PREFIX + headerBytes, 'utf8');
  else if (body !== undefined) body.copy(frame, PREFIX + headerBytes);
  return frame;
}

/**
 * Splits a byte stream back into messages: the header's fields, plus `p` (a Buffer) when there is a body.
 * A frame announcing more than `maxFrameBytes`, or one that does not parse, throws FrameError from
 * `push` before anything is buffered for it; the reader is unusable after that.
 */
export class FrameReader<T> {
  #onMessage: (message: T) => void;
  #maxFrameBytes: number;
  /** Bytes of an incomplete frame, kept as chunks and joined once enough arrived (no quadratic copying). */
  #chunks: Buffer[] = [];
  #size = 0;
  /** Bytes needed before the pending chunks can make progress. */
  #need = 0;

  constructor(onMessage: (message: T) => void, maxFrameBytes = Number.POSITIVE_INFINITY) {
    this.#onMessage = onMessage;
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Feeds bytes as they arrive; calls the listener once per complete frame, in order. */
  push(chunk: Buffer): void {
    let data = chunk;
    if (this.#size > 0) {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
      if (this.#size < this.#need) return;
      data = Buffer.concat(this.#chunks, this.#size);
      this.#chunks = [];
      this.#size = 0;
    }
    let at = 0;
    while (data.length - at >= PREFIX) {
      const length = this.#checkLength(data.readUInt32LE(at));
      const end = at + 4 + length;
      if (end > data.length) break;
      const headerBytes = data.readUInt32LE(at + 4);
      if (headerBytes > length - 4)
        throw new FrameError(`frame header of ${headerBytes} bytes in a ${length}-byte frame`);
      const headerEnd = at + PREFIX + headerBytes;
      const message = parseHeader(data.toString('utf8', at + PREFIX, headerEnd)) as T & { p?: Buffer };
      if (headerEnd < end) {
        // A frame that is the whole chunk keeps its bytes; one of several is copied so it does not pin the rest.
        const whole = at === 0 && end === data.length;
        message.p = whole ? data.subarray(headerEnd, end) : Buffer.from(data.subarray(headerEnd, end));
      }
      at = end;
      this.#onMessage(message);
    }
    if (at === data.length) return;
    const rest = at === 0 ? data : Buffer.from(data.subarray(at));
    this.#chunks = [rest];
    this.#size = rest.length;
    this.#need = rest.length >= 4 ? 4 + this.#checkLength(rest.readUInt32LE(0)) : PREFIX;
  }

  #checkLength(length: number): number {
    if (length < 4 || length > this.#maxFrameBytes) {
      throw new FrameError(`frame of ${length} bytes (limit ${this.#maxFrameBytes})`);
    }
    return length;
  }
}

function parseHeader(json: string): object {
  let header: unknown;
  try {
    header = JSON.parse(json);
  } catch (err) {
    throw new FrameError('frame header is not JSON', { cause: err });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new FrameError('frame header is not a JSON object');
  }
  return header;
}
