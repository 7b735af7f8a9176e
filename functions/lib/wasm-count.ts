/**
 * The wordcount kernel in WebAssembly SIMD, assembled here from readable instructions (no binary
 * blob in the repo). Per 64 bytes it builds a 64-bit mask of whitespace bytes (space, \t, \n, \v,
 * \f, \r) from four 16-byte compares, then counts word starts (a non-space byte after a space
 * byte) and newlines with popcnt. The WAT it encodes:
 *
 *   (func $count (param $len i32) (result i32)   ;; bytes [0, len) of memory, len a multiple of 64
 *     carry = 1                                  ;; the byte before the first is a space
 *     loop while p < len:
 *       for each k in 0..3: v = v128.load(p + 16k)
 *         space_k = i8x16.bitmask(v == 0x20 | (v - 9) <=u 4);  nl_k = i8x16.bitmask(v == 0x0a)
 *       m = space_0 | space_1 << 16 | space_2 << 32 | space_3 << 48   (and n from nl_k)
 *       words += popcnt(~m & (m << 1 | carry));  lines += popcnt(n);  carry = m >> 63
 *     global $lines = lines; return words
 */

import { assemble, body, get, i32, i64, OP, set, simd, splat, T, V, vmem } from './wasm-asm.js';

// Locals: 0 $len (param), then 1 $p, 2 $words (i32); 3 $m, 4 $carry, 5 $lines (i64); 6 $sp, 7 $nine, 8 $four, 9 $nl (v128).
const LEN = 0;
const P = 1;
const WORDS = 2;
const M = 3;
const CARRY = 4;
const LINES = 5;
const SP = 6;
const NINE = 7;
const FOUR = 8;
const NL = 9;

/** v128.load of the 16 bytes at p + offset (16-byte aligned). */
const load = (offset: number) => [...get(P), ...vmem(V.load, 4, offset)];
/** Widens an i32 mask to i64 and moves it to bit `offset`. */
const widen = (offset: number) => [OP.i64ExtendI32U, ...(offset > 0 ? [...i64(offset), OP.i64Shl] : [])];

/** Pushes the whitespace mask of the 16 bytes at p + offset: (v == ' ') | (v - 9 <=u 4), as bits at `offset`. */
function spaceMask(offset: number): number[] {
  // biome-ignore format: one instruction per line
  return [
    ...load(offset), ...get(SP), ...simd(V.i8x16Eq),
    ...load(offset), ...get(NINE), ...simd(V.i8x16Sub), ...get(FOUR), ...simd(V.i8x16LeU),
    ...simd(V.or),
    ...simd(V.i8x16Bitmask),
    ...widen(offset),
  ];
}

/** Pushes the newline mask of the 16 bytes at p + offset, as bits at `offset`. */
function newlineMask(offset: number): number[] {
  return [...load(offset), ...get(NL), ...simd(V.i8x16Eq), ...simd(V.i8x16Bitmask), ...widen(offset)];
}

function countCode(): number[] {
  // biome-ignore format: one statement per line reads like the WAT it encodes
  return [
    ...splat(0x20), ...set(SP),
    ...splat(9), ...set(NINE),
    ...splat(4), ...set(FOUR),
    ...splat(0x0a), ...set(NL),
    ...i64(1), ...set(CARRY),
    OP.block, OP.void,
    OP.loop, OP.void,
    ...get(P), ...get(LEN), OP.i32GeU, OP.brIf, 1,
    // m = the 64-bit whitespace mask of bytes p .. p+63
    ...spaceMask(0), ...spaceMask(16), OP.i64Or, ...spaceMask(32), OP.i64Or, ...spaceMask(48), OP.i64Or,
    ...set(M),
    // lines += popcnt(newline mask)
    ...newlineMask(0), ...newlineMask(16), OP.i64Or, ...newlineMask(32), OP.i64Or, ...newlineMask(48), OP.i64Or,
    OP.i64Popcnt, ...get(LINES), OP.i64Add, ...set(LINES),
    // words += popcnt(~m & (m << 1 | carry)): non-space bytes after a space byte
    ...get(M), ...i64(-1), OP.i64Xor,
    ...get(M), ...i64(1), OP.i64Shl, ...get(CARRY), OP.i64Or,
    OP.i64And, OP.i64Popcnt, OP.i32WrapI64, ...get(WORDS), OP.i32Add, ...set(WORDS),
    // carry = m >> 63; p += 64
    ...get(M), ...i64(63), OP.i64ShrU, ...set(CARRY),
    ...get(P), ...i32(64), OP.i32Add, ...set(P),
    OP.br, 0,
    OP.end,
    OP.end,
    ...get(LINES), OP.i32WrapI64, OP.globalSet, 0,
    ...get(WORDS),
    OP.end,
  ];
}

/** The module's bytes: memory "memory" (exported, growable), global "lines", function "count". */
export function assembleCountModule(): Uint8Array<ArrayBuffer> {
  return assemble({
    types: [[[T.i32], [T.i32]]],
    functions: [
      {
        type: 0,
        body: body(
          [
            [2, T.i32],
            [3, T.i64],
            [4, T.v128],
          ],
          countCode(),
        ),
      },
    ],
    memoryPages: 1,
    globals: 1,
    exports: [
      { name: 'memory', kind: 'memory', index: 0 },
      { name: 'lines', kind: 'global', index: 0 },
      { name: 'count', kind: 'func', index: 0 },
    ],
  });
}

const PAGE = 65536;
const BLOCK = 64;

/** Words and newlines of bytes, counted by the SIMD kernel. */
export class SimdCounter {
  #memory: WebAssembly.Memory;
  #count: (len: number) => number;
  #lines: WebAssembly.Global;
  #view: Uint8Array;
  #pieceBytes: number;

  /** `pieceBytes`: the most bytes copied into WebAssembly memory per kernel call (a multiple of 64). */
  constructor(pieceBytes = 16 * 1024 * 1024) {
    this.#pieceBytes = pieceBytes;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(assembleCountModule()));
    const exports = instance.exports as {
      memory: WebAssembly.Memory;
      count: (len: number) => number;
      lines: WebAssembly.Global;
    };
    this.#memory = exports.memory;
    this.#count = exports.count;
    this.#lines = exports.lines;
    this.#view = new Uint8Array(this.#memory.buffer);
  }

  /**
   * Words (maximal runs of non-whitespace bytes, the first starting at `from`) and '\n' bytes in
   * bytes[from, to). Words running past `to` count once, at their start.
   */
  count(bytes: Uint8Array, from: number, to: number): { words: number; newlines: number } {
    let words = 0;
    let newlines = 0;
    const max = this.#pieceBytes;
    for (let at = from; at < to; ) {
      const end = Math.min(to, at + max);
      const len = end - at;
      const padded = Math.ceil(len / BLOCK) * BLOCK;
      this.#reserve(padded);
      const view = this.#view;
      view.set(bytes.subarray(at, end), 0);
      view.fill(0x20, len, padded);
      // A word cut by a piece boundary must not count twice.
      if (at > from && !isSpace(bytes[at - 1] as number) && !isSpace(bytes[at] as number)) words--;
      words += this.#count(padded);
      newlines += this.#lines.value as number;
      at = end;
    }
    return { words, newlines };
  }

  #reserve(bytes: number): void {
    const have = this.#memory.buffer.byteLength;
    if (have >= bytes) return;
    this.#memory.grow(Math.ceil((bytes - have) / PAGE));
    this.#view = new Uint8Array(this.#memory.buffer);
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}
