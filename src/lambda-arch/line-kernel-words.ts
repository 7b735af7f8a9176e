/**
 * The word half of the batch mapper's word-count kernel (./line-kernel-code.ts): the words of one
 * event's text, by asciiWordBytesInto's rules (builtin-views.ts), each counted per (bucket, word) in
 * the kernel's table, or listed for JavaScript when longer than 16 bytes or the table is nearly full.
 */
import { block, br, brIf, I32, type Item, i64, loop, mem, OP, simd, splat, V, vmem, when } from '../shared/wasm-asm.js';
import { byteAt, classOf, g, inc, k, LAYOUT as L, SPACE, s, WORD_PART } from './line-kernel-layout.js';

const { add, and, eq, geU, gtU, ltU, ne, or } = I32;
const cIs = (byte: number) => eq(g('c'), k(byte));
const HASH_A = 0x9e3779b97f4a7c15n;
const HASH_B = 0xc2b2ae3d27d4eb4fn;

/** Counts the word input[$ws, + $wl) (its first 16 bytes lower-cased in $raw) at $bucket: in the table, or in the long list. */
function countCode(): Item[] {
  const slotLoad = (op: number, align: number, at: number): Item[] => [
    ...g('addr'),
    ...mem(op, align, L.TABLE_AT + at),
  ];
  return block(
    'counted',
    when(
      or(gtU(g('wl'), k(16)), geU(g('size'), k(L.FULL))),
      [...g('longs'), ...k(4), OP.i32Shl, ...g('ws'), ...mem(OP.i32Store, 2, L.LONG_AT)],
      [...g('longs'), ...k(4), OP.i32Shl, ...g('wl'), ...mem(OP.i32Store, 2, L.LONG_AT + 4)],
      [...g('longs'), ...k(4), OP.i32Shl, ...g('bucket'), ...mem(OP.i64Store, 3, L.LONG_AT + 8)],
      inc('longs'),
      br('counted'),
    ),
    // key = the lower-cased bytes & mask[wl]
    s('raw', [...g('raw'), ...g('wl'), ...k(4), OP.i32Shl, ...vmem(V.load, 4, L.MASK_AT), ...simd(V.and)]),
    s('k0', [...g('raw'), ...simd(V.i64x2ExtractLane), 0]),
    s('k1', [...g('raw'), ...simd(V.i64x2ExtractLane), 1]),
    s('slot', [
      ...g('k0'),
      ...i64(HASH_A),
      OP.i64Mul,
      ...g('k1'),
      OP.i64Xor,
      ...g('bmix'),
      OP.i64Xor,
      ...i64(HASH_B),
      OP.i64Mul,
      ...i64(32),
      OP.i64ShrU,
      OP.i32WrapI64,
      ...k(L.SLOTS - 1),
      OP.i32And,
    ]),
    loop(
      'probe',
      s('addr', [...g('slot'), ...k(5), OP.i32Shl]),
      s('cnt', slotLoad(OP.i32Load, 2, 24)),
      when(
        [...g('cnt'), OP.i32Eqz],
        [...g('addr'), ...g('k0'), ...mem(OP.i64Store, 3, L.TABLE_AT)],
        [...g('addr'), ...g('k1'), ...mem(OP.i64Store, 3, L.TABLE_AT + 8)],
        [...g('addr'), ...g('bucket'), ...mem(OP.i64Store, 3, L.TABLE_AT + 16)],
        [...g('addr'), ...k(1), ...mem(OP.i32Store, 2, L.TABLE_AT + 24)],
        inc('size'),
        br('counted'),
      ),
      when(
        and(
          [...slotLoad(OP.i64Load, 3, 0), ...g('k0'), OP.i64Eq],
          [...slotLoad(OP.i64Load, 3, 8), ...g('k1'), OP.i64Eq],
          [...slotLoad(OP.i64Load, 3, 16), ...g('bucket'), OP.i64Eq],
        ),
        [...g('addr'), ...add(g('cnt'), k(1)), ...mem(OP.i32Store, 2, L.TABLE_AT + 24)],
        br('counted'),
      ),
      s('slot', and(add(g('slot'), k(1)), k(L.SLOTS - 1))),
      br('probe'),
    ),
  );
}

/** Lanes of the lower-cased $raw that can be part of a word: a-z, 0-9, ', _ and -. */
function wordPartLanes(): Item[] {
  const lanesEq = (byte: number): Item[] => [...g('raw'), ...splat(byte), ...simd(V.i8x16Eq)];
  // biome-ignore format: one v128 operation a line
  return [
    ...g('raw'), ...g('ca'), ...simd(V.i8x16Sub), ...g('c25'), ...simd(V.i8x16LeU),
    ...g('raw'), ...g('c0'), ...simd(V.i8x16Sub), ...g('c9'), ...simd(V.i8x16LeU), ...simd(V.or),
    ...lanesEq(0x27), ...simd(V.or),
    ...lanesEq(0x5f), ...simd(V.or),
    ...lanesEq(0x2d), ...simd(V.or),
  ];
}

/** Pushes the 16-bit mask of `lanes` (v128 code over $raw) in the 16 input bytes from $j, into $raw first. */
const maskAtJ = (lanes: Item[]): Item[] => [
  ...g('j'),
  ...vmem(V.load, 0, L.INPUT_AT),
  ...s('raw', []),
  ...lanes,
  ...simd(V.i8x16Bitmask),
];
const lanesEq = (byte: number): Item[] => [...g('raw'), ...splat(byte), ...simd(V.i8x16Eq)];
/** Lanes of $raw holding a letter or digit (either case) or `@`: where a word or a mention may start. */
// biome-ignore format: one v128 operation a line
const startLanes = (): Item[] => [
  ...g('raw'), ...g('c20'), ...simd(V.or), ...g('ca'), ...simd(V.i8x16Sub), ...g('c25'), ...simd(V.i8x16LeU),
  ...g('raw'), ...g('c0'), ...simd(V.i8x16Sub), ...g('c9'), ...simd(V.i8x16LeU), ...simd(V.or),
  ...lanesEq(0x40), ...simd(V.or),
];
/** Lanes of $raw holding whitespace: space, or \t to \r. */
// biome-ignore format: one v128 operation a line
const spaceLanes = (): Item[] => [
  ...lanesEq(0x20),
  ...g('raw'), ...splat(0x09), ...simd(V.i8x16Sub), ...splat(4), ...simd(V.i8x16LeU), ...simd(V.or),
];
const isSpaceAt = (at: Item[]): Item[] => ne(and(classOf(byteAt(at)), k(SPACE)), k(0));

/**
 * The words of input[$ts, $te) (asciiWordBytesInto's scan), each counted at $bucket: sixteen bytes
 * at a time to the next letter, digit or `@` (whether whitespace came just before it is all the
 * scan needs of the bytes skipped), then a link or mention skipped to the next whitespace, or a
 * word measured and counted.
 */
export function wordsCode(): Item[] {
  const jJ = g('j');
  const lowerAt = (at: number) => or(byteAt(jJ, at), k(0x20));
  return block(
    'words',
    s('after', k(1)),
    s('j', g('ts')),
    loop(
      'w',
      brIf(geU(jJ, g('te')), 'words'),
      s('mask', maskAtJ(startLanes())),
      when([...g('mask'), OP.i32Eqz], s('j', add(jJ, k(16))), s('after', isSpaceAt(add(jJ, k(-1)))), br('w')),
      when(
        [...g('mask'), OP.i32Ctz, OP.i32Eqz, OP.i32Eqz],
        s('j', add(jJ, [...g('mask'), OP.i32Ctz])),
        s('after', isSpaceAt(add(jJ, k(-1)))),
        brIf(geU(jJ, g('te')), 'words'),
      ),
      s('c', byteAt(jJ)),
      when(
        and(
          g('after'),
          or(
            cIs(0x40),
            and(
              eq(or(g('c'), k(0x20)), k(0x68)),
              ltU(add(jJ, k(3)), g('te')),
              eq(lowerAt(1), k(0x74)),
              eq(lowerAt(2), k(0x74)),
              eq(lowerAt(3), k(0x70)),
            ),
          ),
        ),
        // A link or a mention: skipped to the next whitespace (past $te ends the text too).
        loop(
          'skip',
          s('mask', maskAtJ(spaceLanes())),
          when([...g('mask'), OP.i32Eqz], s('j', add(jJ, k(16))), brIf(ltU(jJ, g('te')), 'skip')),
          s('j', add(jJ, [...g('mask'), OP.i32Ctz])),
        ),
        s('after', k(0)),
        br('w'),
      ),
      // An @ not after whitespace: no word, and no whitespace before what follows.
      when(cIs(0x40), s('after', k(0)), inc('j'), br('w')),
      s('ws', jJ),
      // raw = the 16 bytes from ws lower-cased: raw | (raw - 'A' <=u 25) & 0x20
      s('raw', [...g('ws'), ...vmem(V.load, 0, L.INPUT_AT)]),
      s('raw', [
        ...g('raw'),
        ...g('raw'),
        ...g('cA'),
        ...simd(V.i8x16Sub),
        ...g('c25'),
        ...simd(V.i8x16LeU),
        ...g('c20'),
        ...simd(V.and),
        ...simd(V.or),
      ]),
      // wl = the first of those bytes that is no part of a word (16 when all are): the quote
      // after the text ends every word in it.
      s('wl', [...wordPartLanes(), ...simd(V.i8x16Bitmask), ...k(0x1ffff), OP.i32Xor, OP.i32Ctz]),
      s('j', add(g('ws'), g('wl'))),
      when(
        eq(g('wl'), k(16)),
        block(
          'part-out',
          loop(
            'part',
            brIf(geU(jJ, g('te')), 'part-out'),
            brIf([...and(classOf(byteAt(jJ)), k(WORD_PART)), OP.i32Eqz], 'part-out'),
            inc('j'),
            br('part'),
          ),
        ),
        s('wl', [...jJ, ...g('ws'), OP.i32Sub]),
      ),
      countCode(),
      s('after', k(0)),
      br('w'),
    ),
  );
}
