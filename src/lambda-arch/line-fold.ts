/**
 * The batch mapper's fold over master-dataset lines: each JSON line's event time read, events in
 * [from, horizon) folded into a ViewAccumulator. The built-in word view's lines go through the
 * WebAssembly kernel (line-kernel.ts) a block at a time; a view that reads keys from bytes, and each
 * line the kernel bails on, has the line's declared field and time read straight from the bytes (no
 * string, no JSON.parse); a line that does not read plainly that way (escapes, text past ASCII,
 * another time form, anything unusual) and every line of other views go the string way: the
 * declared fields picked, or JSON.parse. Runs inside the view's functions, so it imports nothing
 * from the engine.
 */
import { fieldRangesOf, pickFields } from './event-fields.js';
import { isoTimeMsOfBytes } from './iso-time.js';
import { kernelFits, LineKernel, type LineKernelOptions } from './line-kernel.js';
import { eventTime, type ResolvedView, ViewAccumulator } from './view-module.js';

/** Lines are decoded for the string way in pieces of about this many bytes, cut after a newline. */
const DECODE_BYTES = 64 * 1024;
const UTF8 = new TextEncoder();

/** Folds lines of events into per-(key, bucket) states; counts the events folded and those the view's code threw on. */
export class LineFolder {
  readonly #accumulator: ViewAccumulator;
  /** Events with a time in [from, horizon). */
  events = 0;
  /** Of those, the ones the view's key or value code threw on (skipped). */
  errors = 0;
  readonly #from: number;
  readonly #horizon: number;
  readonly #timeField: string;
  readonly #wanted: ReadonlySet<string> | undefined;
  /** The declared field's and the time field's UTF-8 names, when lines are read as bytes. */
  readonly #names: Uint8Array[] | undefined;
  readonly #ranges = new Int32Array(4);
  /** The kernel's options when the view's keys are the built-in words; the kernel made on first use. */
  readonly #kernelOptions: LineKernelOptions | undefined;
  #kernel: LineKernel | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  readonly #bailed = (start: number, end: number) => this.#foldLineBytes(this.#buffer, start, end);

  constructor(view: ResolvedView, options: { from: number; horizon: number; timeField: string }) {
    this.#accumulator = new ViewAccumulator(view);
    this.#from = options.from;
    this.#horizon = options.horizon;
    this.#timeField = options.timeField;
    this.#wanted = view.fields ? new Set([...view.fields, options.timeField]) : undefined;
    const field = view.keysFromBytes ? view.fields?.[0] : undefined;
    this.#names =
      field !== undefined && field !== options.timeField
        ? [UTF8.encode(field), UTF8.encode(options.timeField)]
        : undefined;
    const kernelOptions = this.#names && {
      textField: this.#names[0] as Uint8Array,
      timeField: this.#names[1] as Uint8Array,
      from: options.from,
      horizon: options.horizon,
      width: view.width,
    };
    this.#kernelOptions =
      view.keysKernel === 'words' && kernelOptions && kernelFits(kernelOptions) ? kernelOptions : undefined;
  }

  /** The states folded so far. */
  get accumulator(): ViewAccumulator {
    this.#kernel?.drain();
    return this.#accumulator;
  }

  /**
   * Folds each non-empty line of the whole lines bytes[start, end).
   * @throws SyntaxError for a line that is not JSON
   */
  fold(bytes: Uint8Array, start: number, end: number): void {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!this.#names) {
      this.#foldDecoded(buffer, start, end);
      return;
    }
    if (this.#kernelOptions) {
      this.#kernel ??= new LineKernel(this.#kernelOptions, this.#accumulator);
      this.#buffer = buffer;
      // Bailed lines count their own events as they fold.
      const events = this.#kernel.fold(bytes, start, end, this.#bailed);
      this.events += events;
      return;
    }
    for (let at = start; at < end; ) {
      const newline = buffer.indexOf(0x0a, at);
      const lineEnd = newline < 0 || newline >= end ? end : newline;
      if (lineEnd > at) this.#foldLineBytes(buffer, at, lineEnd);
      at = lineEnd + 1;
    }
  }

  /** Folds one line read as a string. @throws SyntaxError when it is not JSON */
  foldLine(line: string): void {
    const wanted = this.#wanted;
    const record = ((wanted && pickFields(line, wanted)) ?? JSON.parse(line)) as Record<string, unknown>;
    const time = eventTime(record, this.#timeField);
    if (time === undefined || time < this.#from || time >= this.#horizon) return;
    this.events++;
    try {
      this.#accumulator.add(record, time);
    } catch {
      this.errors++;
    }
  }

  /** Folds the non-empty line bytes[start, end) with its declared field and time read as bytes. */
  #foldLineBytes(bytes: Buffer, start: number, end: number): void {
    const ranges = this.#ranges;
    const time =
      fieldRangesOf(bytes, start, end, this.#names as Uint8Array[], ranges) && ranges[0] !== -1 && ranges[2] !== -1
        ? isoTimeMsOfBytes(bytes, ranges[2] as number, ranges[3] as number)
        : undefined;
    if (time === undefined) this.foldLine(bytes.toString('utf8', start, end));
    else if (time >= this.#from && time < this.#horizon) {
      this.events++;
      this.#accumulator.addBytes(bytes, ranges[0] as number, ranges[1] as number, time);
    }
  }

  /**
   * Folds the lines of bytes[start, end) decoded in pieces of about DECODE_BYTES cut after a newline
   * (a newline byte never sits inside a UTF-8 sequence): V8 makes strings past ~128 KB in its
   * large-object space, which cost ten times more per byte to build.
   */
  #foldDecoded(buffer: Buffer, start: number, end: number): void {
    for (let from = start; from < end; ) {
      let to = Math.min(end, from + DECODE_BYTES);
      if (to < end) {
        const last = buffer.lastIndexOf(0x0a, to - 1);
        const next = last >= from ? last : buffer.indexOf(0x0a, to);
        to = next < 0 || next >= end ? end : next + 1;
      }
      for (const line of buffer.toString('utf8', from, to).split('\n')) if (line) this.foldLine(line);
      from = to;
    }
  }
}
