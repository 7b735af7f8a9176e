/**
 * The memory layout and locals of the batch mapper's word-count kernel (./line-kernel-code.ts), and
 * the instruction helpers its parts share: what the kernel's JavaScript side (./line-kernel.ts)
 * reads and writes, and the names its instructions use.
 */
import { get, I32, type Item, i32, mem, OP, set, simd, V, vmem } from '../shared/wasm-asm.js';

/** Memory layout (bytes). */
export const LAYOUT = (() => {
  const CLASS_AT = 0; // 256 bytes: WORD_PART | SPACE bits per byte
  const MASK_AT = 256; // 17 × 16 bytes: mask[n] has n leading 0xff bytes
  const FROM_AT = 1024; // i64
  const HORIZON_AT = 1032; // i64
  const WIDTH_AT = 1040; // i64
  const NAME0_LEN_AT = 1048; // i32: the text field's name, its length then bytes
  const NAME1_LEN_AT = 1052; // i32: the time field's name
  const NAME0_AT = 1056;
  const NAME1_AT = 1120;
  const NAME_MAX = 64;
  const TABLE_AT = 2048;
  const SLOT_BYTES = 32; // key (16), bucket (i64), count (i32), unused (4)
  const SLOTS = 1 << 16;
  const INPUT_BYTES = 256 * 1024;
  // Every word of one input could be listed (the table full), and every line bailed.
  const LONG_AT = TABLE_AT + SLOTS * SLOT_BYTES;
  const LONG_BYTES = (INPUT_BYTES / 2 + 1) * 16; // start (i32), length (i32), bucket (i64)
  const BAIL_AT = LONG_AT + LONG_BYTES;
  const BAIL_BYTES = (INPUT_BYTES / 2 + 1) * 8; // line start, line end (i32 each)
  const INPUT_AT = BAIL_AT + BAIL_BYTES;
  const PAD = 64;
  return {
    CLASS_AT,
    MASK_AT,
    FROM_AT,
    HORIZON_AT,
    WIDTH_AT,
    NAME0_LEN_AT,
    NAME1_LEN_AT,
    NAME0_AT,
    NAME1_AT,
    NAME_MAX,
    TABLE_AT,
    SLOT_BYTES,
    SLOTS,
    /** The scan stops at a line start once the table holds this many keys (and is drained). */
    LIMIT: SLOTS / 2,
    /** Past this many keys new words go to the long list (a line can hold many new words). */
    FULL: SLOTS - 1024,
    LONG_AT,
    BAIL_AT,
    INPUT_AT,
    INPUT_BYTES,
    PAGES: Math.ceil((INPUT_AT + INPUT_BYTES + PAD) / 65536),
  } as const;
})();

/** CLASS bits: a byte that can be part of a word (letters and digits start one), whitespace. */
export const WORD_PART = 2;
export const SPACE = 4;

/** Globals the scan leaves its counts in: events folded, bailed lines, long words, table keys. */
export const GLOBALS = { events: 0, bails: 1, longs: 2, size: 3 } as const;

// Locals: params 0 $i, 1 $len; then i32, i64 and v128 ones.
export const I = 0;
export const LEN = 1;
// biome-ignore format: a list of names
export const I32_LOCALS = [
  'ls', 'c', 'k', 'field', 'ts', 'te', 'ms', 'me', 'depth', 'j', 'ws', 'wl', 'slot', 'addr', 'cnt', 'after',
  'events', 'bails', 'longs', 'size', 'bad', 'y', 'mo', 'd', 'h', 'mi', 'se', 'mss', 'n', 'days', 'mask',
] as const;
export const I64_LOCALS = ['time', 'bucket', 'bmix', 'k0', 'k1'] as const;
export const V128_LOCALS = ['raw', 'cA', 'c25', 'c20', 'cQuote', 'cSlash', 'cNewline', 'ca', 'c0', 'c9'] as const;
export type LocalName = (typeof I32_LOCALS)[number] | (typeof I64_LOCALS)[number] | (typeof V128_LOCALS)[number];
export const LOCAL: Record<LocalName, number> = Object.fromEntries(
  [...I32_LOCALS, ...I64_LOCALS, ...V128_LOCALS].map((name, k) => [name, 2 + k]),
) as Record<LocalName, number>;

/** Pushes a local. */
export const g = (name: LocalName | 'i' | 'len'): Item[] => get(name === 'i' ? I : name === 'len' ? LEN : LOCAL[name]);
/** Sets a local to the value the code leaves. */
export const s = (name: LocalName | 'i', ...value: Item[][]): Item[] => [
  ...value.flat(),
  ...set(name === 'i' ? I : LOCAL[name]),
];
/** An i32 constant. */
export const k = (n: number): Item[] => i32(n);
/** Adds one to a local. */
export const inc = (name: LocalName | 'i'): Item[] => s(name, I32.add(g(name), k(1)));
/** Pushes input[address + offset]. */
export const byteAt = (address: Item[], offset = 0): Item[] => [
  ...address,
  ...mem(OP.i32Load8U, 0, LAYOUT.INPUT_AT + offset),
];
/** Pushes the 16-bit mask of the 16 input bytes from $i that `lanes` (v128 code over `raw`) selects. */
export const maskAtI = (lanes: Item[]): Item[] => [
  ...g('i'),
  ...vmem(V.load, 0, LAYOUT.INPUT_AT),
  ...set(LOCAL.raw),
  ...lanes,
  ...simd(V.i8x16Bitmask),
];
/** Pushes the CLASS bits of a byte. */
export const classOf = (byte: Item[]): Item[] => [...byte, ...mem(OP.i32Load8U, 0, LAYOUT.CLASS_AT)];
