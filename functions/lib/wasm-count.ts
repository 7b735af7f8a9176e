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

const SIMD = 0xfd;
/** Core opcodes used below (WebAssembly 2.0 binary format). */
const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  void: 0x40,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  globalSet: 0x24,
  i32Const: 0x41,
  i64Const: 0x42,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32WrapI64: 0xa7,
  i64Popcnt: 0x7b,
  i64Add: 0x7c,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrU: 0x88,
  i64ExtendI32U: 0xad,
} as const;
/** SIMD opcodes (after the 0xfd prefix). */
const V = {
  load: 0x00,
  const: 0x0c,
  eq: 0x23,
  leU: 0x2a,
  or: 0x50,
  bitmask: 0x64,
  sub: 0x71,
} as const;
const I32 = 0x7f;
const I64 = 0x7e;
const V128 = 0x7b;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (small values). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...Buffer.from(text, 'latin1')];
}

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

const get = (i: number) => [OP.localGet, i];
const set = (i: number) => [OP.localSet, i];
const simd = (op: number) => [SIMD, ...uleb(op)];
const splat = (byte: number) => [SIMD, ...uleb(V.const), ...new Array(16).fill(byte)];
const load = (offset: number) => [...get(P), SIMD, ...uleb(V.load), 4, ...uleb(offset)];

/** Pushes the 16-bit whitespace mask of the 16 bytes at p + offset, widened to i64 and shifted. */
function spaceMask(offset: number): number[] {
  return [
    ...load(offset),
    ...get(SP),
    ...simd(V.eq),
    ...load(offset),
    ...get(NINE),
    ...simd(V.sub),
    ...get(FOUR),
    ...simd(V.leU),
    ...simd(V.or),
    ...simd(V.bitmask),
    OP.i64ExtendI32U,
    ...(offset > 0 ? [OP.i64Const, ...sleb(offset), OP.i64Shl] : []),
  ];
}

/** Pushes the 16-bit newline mask of the 16 bytes at p + offset, widened to i64 and shifted. */
function newlineMask(offset: number): number[] {
  return [
    ...load(offset),
    ...get(NL),
    ...simd(V.eq),
    ...simd(V.bitmask),
    OP.i64ExtendI32U,
    ...(offset > 0 ? [OP.i64Const, ...sleb(offset), OP.i64Shl] : []),
  ];
}

function countBody(): number[] {
  // biome-ignore format: one instruction per line reads like the WAT it encodes
  const code = [
    // locals: 2 × i32, 3 × i64, 4 × v128
    3,
    2,
    I32,
    3,
    I64,
    4,
    V128,
    ...splat(0x20),
    ...set(SP),
    ...splat(9),
    ...set(NINE),
    ...splat(4),
    ...set(FOUR),
    ...splat(0x0a),
    ...set(NL),
    OP.i64Const,
    1,
    ...set(CARRY),
    OP.block,
    OP.void,
    OP.loop,
    OP.void,
    ...get(P),
    ...get(LEN),
    OP.i32GeU,
    OP.brIf,
    1,
    // m = the 64-bit whitespace mask
    ...spaceMask(0),
    ...spaceMask(16),
    OP.i64Or,
    ...spaceMask(32),
    OP.i64Or,
    ...spaceMask(48),
    OP.i64Or,
    ...set(M),
    // n = the 64-bit newline mask; lines += popcnt(n)
    ...newlineMask(0),
    ...newlineMask(16),
    OP.i64Or,
    ...newlineMask(32),
    OP.i64Or,
    ...newlineMask(48),
    OP.i64Or,
    OP.i64Popcnt,
    ...get(LINES),
    OP.i64Add,
    ...set(LINES),
    // words += popcnt(~m & (m << 1 | carry))
    ...get(M),
    OP.i64Const,
    ...sleb(-1),
    OP.i64Xor,
    ...get(M),
    OP.i64Const,
    1,
    OP.i64Shl,
    ...get(CARRY),
    OP.i64Or,
    OP.i64And,
    OP.i64Popcnt,
    OP.i32WrapI64,
    ...get(WORDS),
    OP.i32Add,
    ...set(WORDS),
    // carry = m >> 63; p += 64
    ...get(M),
    OP.i64Const,
    63,
    OP.i64ShrU,
    ...set(CARRY),
    ...get(P),
    OP.i32Const,
    ...sleb(64),
    OP.i32Add,
    ...set(P),
    OP.br,
    0,
    OP.end,
    OP.end,
    ...get(LINES),
    OP.i32WrapI64,
    OP.globalSet,
    0,
    ...get(WORDS),
    OP.end,
  ];
  return [...uleb(code.length), ...code];
}

/** The module's bytes: memory "memory" (exported, growable), global "lines", function "count". */
export function assembleCountModule(): Uint8Array {
  // biome-ignore format: one section per line
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 1, I32, 1, I32]), // type 0: (i32) -> i32
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(5, [1, 0x00, 1]), // memory 0: min 1 page, no max
    ...section(6, [1, I32, 1, OP.i32Const, 0, OP.end]), // global 0: mutable i32 = 0
    ...section(7, [
      3,
      ...name('memory'),
      0x02,
      0,
      ...name('lines'),
      0x03,
      0,
      ...name('count'),
      0x00,
      0,
    ]),
    ...section(10, [1, ...countBody()]),
  ];
  return Uint8Array.from(bytes);
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
