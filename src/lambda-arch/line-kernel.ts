/**
 * Runs the word-count kernel (./line-kernel-code.ts) over blocks of JSON lines for the batch
 * mapper: copies whole lines into its memory, hands the lines it bails on back to the caller (the
 * JavaScript path), counts its long words, and drains its (bucket, word) counts into a
 * ViewAccumulator, making a string once per distinct (bucket, word). Imports nothing from the
 * engine, as it runs inside the view's functions.
 */
import { assembleLineKernel } from './line-kernel-code.js';
import { LAYOUT as L, SPACE, WORD_PART } from './line-kernel-layout.js';
import type { ViewAccumulator } from './view-module.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  events: WebAssembly.Global;
  bails: WebAssembly.Global;
  longs: WebAssembly.Global;
  size: WebAssembly.Global;
  scan: (i: number, len: number) => number;
}

/** What the kernel needs of a fold. */
export interface LineKernelOptions {
  /** The view's one declared field (its text) and the time field, as UTF-8. */
  textField: Uint8Array;
  timeField: Uint8Array;
  /** Events with from ≤ time < horizon are folded. */
  from: number;
  horizon: number;
  /** The view's bucket width in ms. */
  width: number;
  /** The most bytes of lines copied in per scan (tests make it small to cut blocks often). */
  pieceBytes?: number;
}

/** Largest magnitude given the kernel for from and horizon (times it reads are below 10^14). */
const TIME_BOUND = 2 ** 62;

let compiled: WebAssembly.Module | undefined;

/** True when the kernel can fold with `options` (field names short enough, bounds numbers). */
export function kernelFits(options: LineKernelOptions): boolean {
  return (
    options.textField.length <= L.NAME_MAX &&
    options.timeField.length <= L.NAME_MAX &&
    !Number.isNaN(options.from) &&
    !Number.isNaN(options.horizon) &&
    Number.isSafeInteger(options.width) &&
    options.width > 0
  );
}

/** The word-count kernel of one fold: counts into its own table, drained into `accumulator`. */
export class LineKernel {
  readonly #wasm: KernelExports;
  readonly #memory: Uint8Array;
  readonly #ints: Int32Array;
  readonly #accumulator: ViewAccumulator;
  readonly #width: number;
  readonly #pieceBytes: number;
  readonly #lowered = new Uint8Array(L.INPUT_BYTES);

  constructor(options: LineKernelOptions, accumulator: ViewAccumulator) {
    compiled ??= new WebAssembly.Module(assembleLineKernel());
    this.#wasm = new WebAssembly.Instance(compiled).exports as unknown as KernelExports;
    this.#memory = new Uint8Array(this.#wasm.memory.buffer);
    this.#ints = new Int32Array(this.#wasm.memory.buffer);
    this.#accumulator = accumulator;
    this.#width = options.width;
    this.#pieceBytes = Math.min(L.INPUT_BYTES, options.pieceBytes ?? L.INPUT_BYTES);
    const memory = this.#memory;
    for (let c = 0; c < 128; c++) {
      const lower = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
      const alnum = (lower >= 0x61 && lower <= 0x7a) || (lower >= 0x30 && lower <= 0x39);
      if (alnum || lower === 0x27 || lower === 0x5f || lower === 0x2d) memory[L.CLASS_AT + c] = WORD_PART;
      else if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) memory[L.CLASS_AT + c] = SPACE;
    }
    for (let n = 0; n <= 16; n++) memory.fill(0xff, L.MASK_AT + n * 16, L.MASK_AT + n * 16 + n);
    const longs = new BigInt64Array(this.#wasm.memory.buffer, L.FROM_AT, 3);
    const bound = (t: number) => BigInt(Math.ceil(Math.min(TIME_BOUND, Math.max(-TIME_BOUND, t))));
    // For integer times, t >= from ⇔ t >= ceil(from) and t < horizon ⇔ t < ceil(horizon).
    longs[0] = bound(options.from);
    longs[1] = bound(options.horizon);
    longs[2] = BigInt(options.width);
    this.#ints[L.NAME0_LEN_AT >> 2] = options.textField.length;
    this.#ints[L.NAME1_LEN_AT >> 2] = options.timeField.length;
    memory.set(options.textField, L.NAME0_AT);
    memory.set(options.timeField, L.NAME1_AT);
  }

  /**
   * Folds the whole lines of bytes[start, end): answers how many events it folded; each line it
   * leaves to the caller goes to `bailed(start, end)` (positions in `bytes`, without the newline).
   */
  fold(bytes: Uint8Array, start: number, end: number, bailed: (start: number, end: number) => void): number {
    const wasm = this.#wasm;
    const memory = this.#memory;
    let events = 0;
    for (let at = start; at < end; ) {
      let to = Math.min(end, at + this.#pieceBytes);
      if (to < end) {
        const last = bytes.lastIndexOf(0x0a, to - 1);
        if (last < at) {
          // One line longer than the kernel's input: the caller's.
          const newline = bytes.indexOf(0x0a, at);
          to = newline < 0 || newline >= end ? end : newline;
          bailed(at, to);
          at = to + 1;
          continue;
        }
        to = last + 1;
      }
      const len = to - at;
      memory.set(bytes.subarray(at, to), L.INPUT_AT);
      memory[L.INPUT_AT + len] = 0x0a;
      for (let i = 0; i < len; ) {
        i = wasm.scan(i, len);
        events += wasm.events.value as number;
        const bails = wasm.bails.value as number;
        for (let b = 0; b < bails; b++) {
          const entry = (L.BAIL_AT >> 2) + 2 * b;
          bailed(at + (this.#ints[entry] as number), at + Math.min(len, this.#ints[entry + 1] as number));
        }
        this.#countLongWords(wasm.longs.value as number);
        if ((wasm.size.value as number) >= L.LIMIT) this.drain();
      }
      at = to;
    }
    return events;
  }

  /** Moves the table's counts into the accumulator and empties the table. */
  drain(): void {
    if (this.#wasm.size.value === 0) return;
    const memory = this.#memory;
    const ints = this.#ints;
    for (let slot = 0; slot < L.SLOTS; slot++) {
      const addr = L.TABLE_AT + slot * L.SLOT_BYTES;
      const count = ints[(addr + 24) >> 2] as number;
      if (count === 0) continue;
      let length = 0;
      while (length < 16 && memory[addr + length] !== 0) length++;
      const bucket = this.#bucketAt(addr + 16);
      this.#accumulator.addKeyCount(memory, addr, addr + length, bucket, count);
    }
    memory.fill(0, L.TABLE_AT, L.TABLE_AT + L.SLOTS * L.SLOT_BYTES);
    this.#wasm.size.value = 0;
  }

  /** Counts the long words the last scan listed (lower-cased here, as the kernel does in its table). */
  #countLongWords(longs: number): void {
    const memory = this.#memory;
    const lowered = this.#lowered;
    for (let w = 0; w < longs; w++) {
      const entry = L.LONG_AT + 16 * w;
      const start = L.INPUT_AT + (this.#ints[entry >> 2] as number);
      const length = this.#ints[(entry >> 2) + 1] as number;
      for (let k = 0; k < length; k++) {
        const c = memory[start + k] as number;
        lowered[k] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
      }
      this.#accumulator.addKeyCount(lowered, 0, length, this.#bucketAt(entry + 8), 1);
    }
  }

  /** The bucket start (ms) of the bucket number stored as an i64 at memory[addr]. */
  #bucketAt(addr: number): number {
    const low = (this.#ints[addr >> 2] as number) >>> 0;
    const high = this.#ints[(addr >> 2) + 1] as number;
    return (high * 2 ** 32 + low) * this.#width;
  }
}
