/**
 * The wordfreq kernel in WebAssembly (assembled from the readable instructions below): it finds the
 * words of `[A-Za-z][A-Za-z0-9]*` in bytes copied into its memory and counts them in an
 * open-addressing table keyed by the word's lowercased bytes, zero-padded to 16 (one SIMD load,
 * OR 0x20, AND a length mask; words hold no zero byte, so equal keys are equal words). Words
 * longer than 16 bytes, rare in text, are listed for the JavaScript side to count. No string is
 * made per word: `WordCounter` turns each distinct word into a string once, when the table is read.
 *
 *   (func $scan (param $i i32) (param $len i32) (result i32)   ;; words in input[$i, $len)
 *     window = 64 bytes from $i as two i64 bitmasks, letters and letters-or-digits (SIMD compares)
 *     loop $word
 *       start = the next letter at or after $i: ctz of the letter mask (none: slide the window on)
 *       end = the next byte after start that is neither letter nor digit: ctz of the inverted mask
 *         (a word reaching the window's end is measured again in a window from its start, then
 *         byte by byte past 64); $i = end
 *       words += 1
 *       if length > 16: append (start, length) to the long-word list; continue
 *       key = (v128.load(input + start) | 0x20…) & mask[length]
 *       slot = hash(key) & (SLOTS - 1), probing linearly:
 *         empty → store key, count 1, size += 1 (return early when size reaches LIMIT)
 *         same key → count += 1
 *     return $i   ;; where it stopped: $len, or earlier when the table filled up
 */
import { assemble, body, get, i32, i64, mem, OP, set, simd, splat, T, V, vmem } from './wasm-asm.js';

/** Memory layout (bytes). */
const CLASS_AT = 0; // 256 bytes: 1 letter, 2 digit, 0 other
const MASK_AT = 256; // 17 × 16 bytes: mask[n] has n leading 0xff bytes
const TABLE_AT = 1024;
const SLOT_BYTES = 32; // key (16), count (4), unused (12)
const SLOTS = 1 << 17;
/** The table is drained into a Map once it is half full. */
const LIMIT = SLOTS / 2;
const LONG_AT = TABLE_AT + SLOTS * SLOT_BYTES;
/** Input bytes per call; the long-word list has room for every word of that many bytes. */
const INPUT_BYTES = 1024 * 1024;
const LONG_BYTES = (Math.ceil(INPUT_BYTES / 17) + 1) * 8;
const INPUT_AT = LONG_AT + LONG_BYTES;
/** Zero bytes after the input: they end the last word, and the 16-byte key load stays in memory. */
const PAD = 128;
const PAGES = Math.ceil((INPUT_AT + INPUT_BYTES + PAD) / 65536);
const HASH_A = 0x9e3779b97f4a7c15n;
const HASH_B = 0xc2b2ae3d27d4eb4fn;

// Params 0 $i, 1 $len; i32 locals 2 $start, 3 $wlen, 4 $slot, 5 $addr, 6 $cnt, 7 $nlong, 8 $words, 9 $base,
// 10 $rel, 11 $e; i64 12 $k0, 13 $k1, 14 $m, 15 $lm, 16 $wm; v128 17 $raw, 18 $let, 19-23 the constants
// 0x20, 'a', 25, '0', 9.
const I = 0;
const LEN = 1;
const START = 2;
const WLEN = 3;
const SLOT = 4;
const ADDR = 5;
const CNT = 6;
const NLONG = 7;
const WORDS = 8;
const BASE = 9;
const REL = 10;
const E = 11;
const K0 = 12;
const K1 = 13;
const M = 14;
const LM = 15;
const WM = 16;
const RAW = 17;
const LET = 18;
const C20 = 19;
const CA = 20;
const C25 = 21;
const C30 = 22;
const C9 = 23;
/** Bytes per window: the masks of one window are i64 bitmasks. */
const WINDOW = 64;
// Globals: 0 words seen, 1 long words listed, 2 table size.
const G_WORDS = 0;
const G_LONG = 1;
const G_SIZE = 2;

/** Pushes the character class of input byte $i. */
const classOfI = () => [...get(I), ...mem(OP.i32Load8U, 0, INPUT_AT), ...mem(OP.i32Load8U, 0, CLASS_AT)];
const inc = (local: number) => [...get(local), ...i32(1), OP.i32Add, ...set(local)];
const widen = (shift: number) => [OP.i64ExtendI32U, ...(shift > 0 ? [...i64(shift), OP.i64Shl] : [])];

/**
 * The window: the 64 input bytes from local `at` ($base = at), as bitmasks $lm of letters
 * ((raw | 0x20) - 'a' <=u 25) and $wm of letters or digits (also raw - '0' <=u 9), 16 lanes at a time.
 */
function loadWindow(at: number): number[] {
  const code = [...get(at), ...set(BASE), ...i64(0), ...set(LM), ...i64(0), ...set(WM)];
  for (let k = 0; k < WINDOW; k += 16) {
    // biome-ignore format: one statement per line
    code.push(
      ...get(BASE), ...vmem(V.load, 0, INPUT_AT + k), ...set(RAW),
      ...get(RAW), ...get(C20), ...simd(V.or), ...get(CA), ...simd(V.i8x16Sub), ...get(C25), ...simd(V.i8x16LeU), ...set(LET),
      ...get(LET), ...simd(V.i8x16Bitmask), ...widen(k), ...get(LM), OP.i64Or, ...set(LM),
      ...get(LET), ...get(RAW), ...get(C30), ...simd(V.i8x16Sub), ...get(C9), ...simd(V.i8x16LeU), ...simd(V.or),
      ...simd(V.i8x16Bitmask), ...widen(k), ...get(WM), OP.i64Or, ...set(WM),
    );
  }
  return code;
}

/** Pushes ctz(~$wm & (-1 << rel)) as i32: the window lane of the first byte at or after `rel` that ends a word (64 if none). */
const wordEnd = (rel: number[]) => [
  ...get(WM),
  ...i64(-1),
  OP.i64Xor,
  ...i64(-1),
  ...rel,
  OP.i64ExtendI32U,
  OP.i64Shl,
  OP.i64And,
  OP.i64Ctz,
  OP.i32WrapI64,
];

function scanCode(): number[] {
  // biome-ignore format: one statement per line reads like the WAT it encodes
  return [
    ...splat(0x20), ...set(C20),
    ...splat(0x61), ...set(CA),
    ...splat(25), ...set(C25),
    ...splat(0x30), ...set(C30),
    ...splat(9), ...set(C9),
    OP.block, OP.void, // $done
    ...get(I), ...get(LEN), OP.i32GeU, OP.brIf, 0, // → $done
    ...loadWindow(I),
    OP.loop, OP.void, // $word
    // m = the window's letters at or after $i (none once $i has reached the window's end)
    ...get(LM), ...i64(-1), ...get(I), ...get(BASE), OP.i32Sub, OP.i64ExtendI32U, OP.i64Shl, OP.i64And,
    ...i64(0),
    ...get(I), ...get(BASE), OP.i32Sub, ...i32(WINDOW), OP.i32LtU,
    OP.select, ...set(M),
    // no letter left: slide the window on
    ...get(M), ...i64(0), OP.i64Eq,
    OP.if, OP.void,
    ...get(BASE), ...i32(WINDOW), OP.i32Add, ...set(I),
    ...get(I), ...get(LEN), OP.i32GeU, OP.brIf, 2, // → $done
    ...loadWindow(I),
    OP.br, 1, // → $word
    OP.end,
    ...get(M), OP.i64Ctz, OP.i32WrapI64, ...set(REL),
    ...get(BASE), ...get(REL), OP.i32Add, ...set(START),
    ...wordEnd(get(REL)), ...set(E),
    ...get(E), ...i32(WINDOW), OP.i32Eq,
    OP.if, OP.void, // the word reaches the window's end: measure it in a window of its own
    ...loadWindow(START),
    ...i32(0), ...set(REL),
    ...wordEnd(i32(0)), ...set(E),
    ...get(E), ...i32(WINDOW), OP.i32Eq,
    OP.if, OP.void, // a whole window of word bytes: go on byte by byte (the zero padding ends the last word)
    ...get(START), ...i32(WINDOW), OP.i32Add, ...set(I),
    OP.block, OP.void, // $wend
    OP.loop, OP.void,
    ...classOfI(), OP.i32Eqz, OP.brIf, 1, // → $wend
    ...inc(I),
    OP.br, 0,
    OP.end,
    OP.end,
    ...get(I), ...get(START), OP.i32Sub, ...set(E),
    OP.end,
    OP.end,
    ...get(E), ...get(REL), OP.i32Sub, ...set(WLEN),
    ...get(START), ...get(WLEN), OP.i32Add, ...set(I),
    ...inc(WORDS),
    // a long word: list (start, length) and go on (past the window's end, the next turn slides it to $i)
    ...get(WLEN), ...i32(16), OP.i32GtU,
    OP.if, OP.void,
    ...get(NLONG), ...i32(3), OP.i32Shl, ...get(START), ...mem(OP.i32Store, 2, LONG_AT),
    ...get(NLONG), ...i32(3), OP.i32Shl, ...get(WLEN), ...mem(OP.i32Store, 2, LONG_AT + 4),
    ...inc(NLONG),
    ...get(I), ...get(BASE), OP.i32Sub, ...i32(WINDOW), OP.i32GtU,
    OP.if, OP.void,
    ...get(I), ...i32(WINDOW), OP.i32Sub, ...set(BASE),
    OP.end,
    OP.br, 1, // → $word
    OP.end,
    // key = (the 16 bytes at start | 0x20) & mask[length]
    ...get(START), ...vmem(V.load, 0, INPUT_AT), ...get(C20), ...simd(V.or),
    ...get(WLEN), ...i32(4), OP.i32Shl, ...vmem(V.load, 4, MASK_AT),
    ...simd(V.and), ...set(RAW),
    ...get(RAW), ...simd(V.i64x2ExtractLane), 0, ...set(K0),
    ...get(RAW), ...simd(V.i64x2ExtractLane), 1, ...set(K1),
    // slot = (((k0 * A) ^ k1) * B) >> 32, masked
    ...get(K0), ...i64(HASH_A), OP.i64Mul, ...get(K1), OP.i64Xor, ...i64(HASH_B), OP.i64Mul,
    ...i64(32), OP.i64ShrU, OP.i32WrapI64, ...i32(SLOTS - 1), OP.i32And, ...set(SLOT),
    OP.loop, OP.void, // $probe
    ...get(SLOT), ...i32(5), OP.i32Shl, ...set(ADDR),
    ...get(ADDR), ...mem(OP.i32Load, 2, TABLE_AT + 16), ...set(CNT),
    ...get(CNT), OP.i32Eqz,
    OP.if, OP.void, // an empty slot: the word is new
    ...get(ADDR), ...get(K0), ...mem(OP.i64Store, 3, TABLE_AT),
    ...get(ADDR), ...get(K1), ...mem(OP.i64Store, 3, TABLE_AT + 8),
    ...get(ADDR), ...i32(1), ...mem(OP.i32Store, 2, TABLE_AT + 16),
    OP.globalGet, G_SIZE, ...i32(1), OP.i32Add, OP.globalSet, G_SIZE,
    OP.globalGet, G_SIZE, ...i32(LIMIT), OP.i32GeU, OP.brIf, 3, // → $done: the table is full enough
    OP.br, 2, // → $word
    OP.end,
    ...get(ADDR), ...mem(OP.i64Load, 3, TABLE_AT), ...get(K0), OP.i64Eq,
    ...get(ADDR), ...mem(OP.i64Load, 3, TABLE_AT + 8), ...get(K1), OP.i64Eq,
    OP.i32And,
    OP.if, OP.void, // the same word: count it
    ...get(ADDR), ...get(CNT), ...i32(1), OP.i32Add, ...mem(OP.i32Store, 2, TABLE_AT + 16),
    OP.br, 2, // → $word
    OP.end,
    ...get(SLOT), ...i32(1), OP.i32Add, ...i32(SLOTS - 1), OP.i32And, ...set(SLOT),
    OP.br, 0, // → $probe
    OP.end,
    OP.end,
    OP.end,
    ...get(WORDS), OP.globalSet, G_WORDS,
    ...get(NLONG), OP.globalSet, G_LONG,
    ...get(I),
    OP.end,
  ];
}

/** The module's bytes: memory "memory", globals "words", "long", "size", function "scan". */
export function assembleWordsModule(): Uint8Array<ArrayBuffer> {
  return assemble({
    types: [[[T.i32, T.i32], [T.i32]]],
    functions: [
      {
        type: 0,
        body: body(
          [
            [10, T.i32],
            [5, T.i64],
            [7, T.v128],
          ],
          scanCode(),
        ),
      },
    ],
    memoryPages: PAGES,
    globals: 3,
    exports: [
      { name: 'memory', kind: 'memory', index: 0 },
      { name: 'words', kind: 'global', index: G_WORDS },
      { name: 'long', kind: 'global', index: G_LONG },
      { name: 'size', kind: 'global', index: G_SIZE },
      { name: 'scan', kind: 'func', index: 0 },
    ],
  });
}

interface WordsExports {
  memory: WebAssembly.Memory;
  words: WebAssembly.Global;
  long: WebAssembly.Global;
  size: WebAssembly.Global;
  scan: (i: number, len: number) => number;
}

let compiled: WebAssembly.Module | undefined;

/** Counts lowercased `[A-Za-z][A-Za-z0-9]*` words of byte chunks; reads out word, count and FNV-1a 32 hash. */
export class WordCounter {
  #wasm: WordsExports;
  #memory: Uint8Array;
  #ints: Int32Array;
  #drained = new Map<string, number>();
  #inputBytes: number;

  /** `inputBytes`: the most bytes scanned per kernel call (tests make it small to cut words). */
  constructor(inputBytes = INPUT_BYTES) {
    this.#inputBytes = Math.min(inputBytes, INPUT_BYTES);
    compiled ??= new WebAssembly.Module(assembleWordsModule());
    this.#wasm = new WebAssembly.Instance(compiled).exports as unknown as WordsExports;
    this.#memory = new Uint8Array(this.#wasm.memory.buffer);
    this.#ints = new Int32Array(this.#wasm.memory.buffer);
    for (let c = 0x41; c <= 0x5a; c++) this.#memory[CLASS_AT + c] = 1;
    for (let c = 0x61; c <= 0x7a; c++) this.#memory[CLASS_AT + c] = 1;
    for (let c = 0x30; c <= 0x39; c++) this.#memory[CLASS_AT + c] = 2;
    for (let n = 0; n <= 16; n++) this.#memory.fill(0xff, MASK_AT + n * 16, MASK_AT + n * 16 + n);
  }

  /** Distinct words counted so far. */
  get size(): number {
    this.#drain();
    return this.#drained.size;
  }

  /** Counts the words of bytes[from, to), which must not start or end inside a word; returns how many it saw. */
  add(bytes: Uint8Array, from = 0, to = bytes.length): number {
    let seen = 0;
    for (let at = from; at < to; ) {
      const end = this.#cut(bytes, at, Math.min(to, at + this.#inputBytes), to);
      if (end - at > INPUT_BYTES) {
        // One run of letters and digits over the kernel's input area: counted here instead.
        seen += this.#addRun(bytes, at, end);
        at = end;
        continue;
      }
      const len = end - at;
      this.#memory.set(bytes.subarray(at, end), INPUT_AT);
      this.#memory.fill(0, INPUT_AT + len, INPUT_AT + len + PAD);
      for (let i = 0; i < len; ) {
        i = this.#wasm.scan(i, len);
        seen += this.#wasm.words.value as number;
        this.#countLong();
        if ((this.#wasm.size.value as number) >= LIMIT) this.#drain();
      }
      at = end;
    }
    return seen;
  }

  /** Every word with its count and the FNV-1a 32 hash of its bytes (the shuffle's partition hash). */
  *entries(): Generator<[word: string, count: number, hash: number]> {
    this.#drain();
    for (const [word, count] of this.#drained) yield [word, count, fnv1a32Latin1(word)];
  }

  /** Where to end a piece of at most `limit`: after a byte that is neither letter nor digit, so no word is cut. */
  #cut(bytes: Uint8Array, from: number, limit: number, to: number): number {
    if (limit >= to) return to;
    for (let end = limit; end > from; end--) if (!isWordByte(bytes[end - 1] as number)) return end;
    // One word longer than a piece: take it whole, by a piece of its own size (add counts a run
    // longer than the input area itself).
    let end = limit;
    while (end < to && isWordByte(bytes[end] as number)) end++;
    return end;
  }

  /** Counts the word in one run bytes[from, to) of letters and digits (leading digits are no part of it). */
  #addRun(bytes: Uint8Array, from: number, to: number): number {
    let start = from;
    while (start < to && (bytes[start] as number) <= 0x39) start++;
    if (start === to) return 0;
    const lower = Buffer.from(bytes.subarray(start, to));
    for (let i = 0; i < lower.length; i++) lower[i] = (lower[i] as number) | 0x20;
    const word = lower.toString('latin1');
    this.#drained.set(word, (this.#drained.get(word) ?? 0) + 1);
    return 1;
  }

  #countLong(): void {
    const n = this.#wasm.long.value as number;
    const memory = this.#memory;
    for (let k = 0; k < n; k++) {
      const start = this.#ints[(LONG_AT >> 2) + 2 * k] as number;
      const length = this.#ints[(LONG_AT >> 2) + 2 * k + 1] as number;
      let word = '';
      for (let j = 0; j < length; j++) word += String.fromCharCode((memory[INPUT_AT + start + j] as number) | 0x20);
      this.#drained.set(word, (this.#drained.get(word) ?? 0) + 1);
    }
  }

  /** Moves the table's words into the Map and empties the table. */
  #drain(): void {
    const memory = this.#memory;
    const ints = this.#ints;
    for (let slot = 0; slot < SLOTS; slot++) {
      const addr = TABLE_AT + slot * SLOT_BYTES;
      const count = ints[(addr + 16) >> 2] as number;
      if (count === 0) continue;
      let length = 0;
      while (length < 16 && memory[addr + length] !== 0) length++;
      const word = Buffer.from(memory.buffer, addr, length).toString('latin1');
      this.#drained.set(word, (this.#drained.get(word) ?? 0) + count);
    }
    memory.fill(0, TABLE_AT, TABLE_AT + SLOTS * SLOT_BYTES);
    this.#wasm.size.value = 0;
  }
}

function isWordByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** FNV-1a 32 of a Latin-1 (here ASCII) string's bytes. */
function fnv1a32Latin1(word: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
