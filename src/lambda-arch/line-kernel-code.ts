/**
 * The batch mapper's word-count kernel in WebAssembly, assembled from the readable instructions
 * below (src/shared/wasm-asm.ts): one pass over a block of JSON lines in its memory that, per line,
 * finds two top-level string fields (the view's text field and the time field), reads the time
 * (`YYYY-MM-DDTHH:mm:ss.sssZ` only), and for a time in [from, horizon) counts the text's words per
 * (bucket, word) in an open-addressing table, by the built-in word view's rules (builtin-views.ts:
 * links and mentions skipped, ASCII lower-cased). Anything it does not read with certainty (an escape
 * or a byte past ASCII in either field, whitespace between tokens, another time form, a missing
 * field, a year before 1970) is listed as a bailed line for the JavaScript path instead, before
 * anything of that line is counted. Words longer than 16 bytes are listed for JavaScript to count.
 *
 *   (func $scan (param $i i32) (param $len i32) (result i32)   ;; lines of input[$i, $len)
 *     loop $line   (stops at $len, or at a line start once the table is half full)
 *       `{` then `"key":value` pairs split by `,` then `}` then `\n`; other values are skipped
 *         (strings with their escapes, nested objects and arrays); the two fields' ranges kept;
 *         strings are crossed sixteen bytes a step (SIMD masks of quotes, backslashes, newlines)
 *       time: digits and separators checked, days from civil (H. Hinnant), epoch ms
 *       from ≤ time < horizon: events += 1, bucket = time / width, then the words:
 *         the next letter, digit or `@` found sixteen bytes a step (SIMD masks);
 *         after whitespace (or at the start), `@…` or `http…` is skipped to the next whitespace;
 *         a word is [a-z0-9] then [a-z0-9'_-]*, lower-cased and measured by SIMD in one 16-byte
 *         load that is also its key
 *         slot = hash(key, bucket), probing linearly: empty → key, bucket, 1; same → count + 1
 *       anything unusual: (line start, line end) appended to the bail list
 *     return $i
 */
import {
  assemble,
  block,
  body,
  br,
  brIf,
  I32,
  type Item,
  i64,
  loop,
  mem,
  OP,
  resolve,
  simd,
  splat,
  T,
  V,
  when,
} from '../shared/wasm-asm.js';
import {
  byteAt,
  classOf,
  GLOBALS,
  g,
  I32_LOCALS,
  I64_LOCALS,
  inc,
  k,
  LAYOUT as L,
  LOCAL,
  type LocalName,
  maskAtI,
  SPACE,
  s,
  V128_LOCALS,
} from './line-kernel-layout.js';
import { wordsCode } from './line-kernel-words.js';

const { add, and, eq, geU, gtU, ltU, ne, or } = I32;
const QUOTE = 0x22;
const NEWLINE = 0x0a;
const iI = g('i');
const cIs = (byte: number) => eq(g('c'), k(byte));
/** `c = input[$i]` */
const readC = () => s('c', byteAt(iI));

/** Sets `field` to 0 or 1 when the key input[$k, $i) is the name at nameAt (its length at lenAt). */
function matchName(n: number, lenAt: number, nameAt: number): Item[] {
  return block(
    `name${n}`,
    brIf(ne([...k(lenAt), ...mem(OP.i32Load, 2)], [...iI, ...g('k'), OP.i32Sub]), `name${n}`),
    s('j', k(0)),
    loop(
      `cmp${n}`,
      when(geU(g('j'), [...k(lenAt), ...mem(OP.i32Load, 2)]), s('field', k(n)), br(`name${n}`)),
      brIf(ne(byteAt(add(g('k'), g('j'))), [...g('j'), ...mem(OP.i32Load8U, 0, nameAt)]), `name${n}`),
      inc('j'),
      br(`cmp${n}`),
    ),
  );
}

const lanesEq = (constant: Item[]): Item[] => [...g('raw'), ...constant, ...simd(V.i8x16Eq)];
const vor = (...xs: Item[][]): Item[] => [...(xs[0] ?? []), ...xs.slice(1).flatMap((x) => [...x, ...simd(V.or)])];

/**
 * Moves $i to the first of the next 16-byte runs' bytes `lanes` selects (sixteen bytes a step; the
 * line's newline, or the sentinel one past the input, ends every search that also selects it).
 */
const seek = (name: string, lanes: Item[]): Item[] =>
  loop(
    name,
    s('mask', maskAtI(lanes)),
    when([...g('mask'), OP.i32Eqz], s('i', add(iI, k(16))), br(name)),
    s('i', add(iI, [...g('mask'), OP.i32Ctz])),
  );

/** Skips the string whose opening quote $i is past, honouring escapes; $i ends on its closing quote. */
const skipString = (name: string): Item[] =>
  loop(
    name,
    seek(`${name}-seek`, vor(lanesEq(g('cQuote')), lanesEq(g('cSlash')), lanesEq(g('cNewline')))),
    readC(),
    brIf(cIs(QUOTE), `${name}-out`),
    brIf(cIs(NEWLINE), 'bail'),
    // A backslash: the escaped character is skipped (a newline there ends the line instead).
    brIf(eq(byteAt(iI, 1), k(NEWLINE)), 'bail'),
    s('i', add(iI, k(2))),
    br(name),
  );

/** The line's pairs, each field's string range kept; $i ends on the line's newline. */
function pairsCode(): Item[] {
  const code: Item[][] = [
    brIf(ne(byteAt(iI), k(0x7b)), 'bail'), // {
    inc('i'),
    loop(
      'pair',
      brIf(ne(byteAt(iI), k(QUOTE)), 'bail'),
      inc('i'),
      s('k', iI),
      block(
        'key-out',
        loop(
          'key',
          readC(),
          brIf(cIs(QUOTE), 'key-out'),
          brIf(or(ltU(g('c'), k(0x20)), cIs(0x5c)), 'bail'),
          inc('i'),
          br('key'),
        ),
      ),
      s('field', k(2)),
      matchName(0, L.NAME0_LEN_AT, L.NAME0_AT),
      when(eq(g('field'), k(2)), matchName(1, L.NAME1_LEN_AT, L.NAME1_AT)),
      inc('i'),
      brIf(ne(byteAt(iI), k(0x3a)), 'bail'), // :
      inc('i'),
      readC(),
      block(
        'value',
        when(
          cIs(QUOTE),
          inc('i'),
          s('n', iI),
          when(
            ne(g('field'), k(2)),
            // A field read as bytes: plain ASCII (a signed byte below 0x20 is a control character
            // or past ASCII), no escapes.
            seek(
              'plain',
              vor([...g('raw'), ...g('c20'), ...simd(V.i8x16LtS)], lanesEq(g('cQuote')), lanesEq(g('cSlash'))),
            ),
            brIf(ne(byteAt(iI), k(QUOTE)), 'bail'),
            when(eq(g('field'), k(0)), s('ts', g('n')), s('te', iI)),
            when(eq(g('field'), k(1)), s('ms', g('n')), s('me', iI)),
            inc('i'),
            br('value'),
          ),
          block('str-out', skipString('str')),
          inc('i'),
          br('value'),
        ),
        brIf(ne(g('field'), k(2)), 'bail'),
        // Another value: a number, literal, object or array (valueEndBytes).
        s('depth', k(0)),
        loop(
          'other',
          readC(),
          brIf(cIs(NEWLINE), 'bail'),
          when(cIs(QUOTE), inc('i'), block('in-out', skipString('in')), inc('i'), br('other')),
          when(or(cIs(0x7b), cIs(0x5b)), inc('depth'), inc('i'), br('other')),
          when(
            or(cIs(0x7d), cIs(0x5d)),
            brIf(eq(g('depth'), k(0)), 'value'),
            s('depth', [...g('depth'), ...k(1), OP.i32Sub]),
            inc('i'),
            brIf(eq(g('depth'), k(0)), 'value'),
            br('other'),
          ),
          brIf(and(eq(g('depth'), k(0)), or(cIs(0x2c), eq(classOf(g('c')), k(SPACE)))), 'value'),
          inc('i'),
          br('other'),
        ),
      ),
      readC(),
      when(cIs(0x2c), inc('i'), br('pair')),
      brIf(ne(g('c'), k(0x7d)), 'bail'), // }
      inc('i'),
      brIf(ne(byteAt(iI), k(NEWLINE)), 'bail'),
    ),
  ];
  return code.flat();
}

/** `target` = the decimal digits input[$ms + at, + count); $bad gets a bit when one is not a digit. */
function digits(target: LocalName, at: number, count: number): Item[] {
  const code: Item[] = s(target, k(0));
  for (let d = 0; d < count; d++)
    code.push(
      ...s(
        target,
        [...g(target), ...k(10), OP.i32Mul],
        [...byteAt(g('ms'), at + d), ...k(0x30), OP.i32Sub],
        [OP.localTee, LOCAL.c],
        [OP.i32Add],
      ),
      ...s('bad', or(g('bad'), gtU(g('c'), k(9)))),
    );
  return code;
}

/** $time = the epoch ms of the ISO text at $ms (24 bytes), or → bail. */
function timeCode(): Item[] {
  const sep = (at: number, byte: number) => s('bad', or(g('bad'), ne(byteAt(g('ms'), at), k(byte))));
  const sub = (a: Item[], b: Item[]): Item[] => [...a, ...b, OP.i32Sub];
  const mul = (a: Item[], b: Item[]): Item[] => [...a, ...b, OP.i32Mul];
  const div = (a: Item[], b: Item[]): Item[] => [...a, ...b, OP.i32DivU];
  const code: Item[][] = [
    brIf(or(eq(g('ts'), k(-1)), eq(g('ms'), k(-1))), 'bail'), // a field absent
    brIf(ne(sub(g('me'), g('ms')), k(24)), 'bail'),
    s('bad', k(0)),
    sep(4, 0x2d),
    sep(7, 0x2d),
    sep(10, 0x54),
    sep(13, 0x3a),
    sep(16, 0x3a),
    sep(19, 0x2e),
    sep(23, 0x5a),
    digits('y', 0, 4),
    digits('mo', 5, 2),
    digits('d', 8, 2),
    digits('h', 11, 2),
    digits('mi', 14, 2),
    digits('se', 17, 2),
    digits('mss', 20, 3),
    s(
      'bad',
      or(
        g('bad'),
        ltU(g('y'), k(1970)),
        ltU(g('mo'), k(1)),
        gtU(g('mo'), k(12)),
        ltU(g('d'), k(1)),
        gtU(g('d'), k(31)),
      ),
    ),
    s('bad', or(g('bad'), gtU(g('h'), k(23)), gtU(g('mi'), k(59)), gtU(g('se'), k(59)))),
    brIf(g('bad'), 'bail'),
    // days_from_civil: y' = y - (mo <= 2); era = y' / 400; yoe = y' - era * 400 (n holds era)
    s('y', sub(g('y'), [...g('mo'), ...k(2), OP.i32LeU])),
    s('n', div(g('y'), k(400))),
    s('y', sub(g('y'), mul(g('n'), k(400)))),
    // mp = mo > 2 ? mo - 3 : mo + 9; doy = (153 mp + 2) / 5 + d - 1
    s('mo', [...sub(g('mo'), k(3)), ...add(g('mo'), k(9)), ...gtU(g('mo'), k(2)), OP.select]),
    s('days', sub(add(div(add(mul(g('mo'), k(153)), k(2)), k(5)), g('d')), k(1))),
    // doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; days = era * 146097 + doe - 719468
    s('days', add(sub(add(mul(g('y'), k(365)), div(g('y'), k(4))), div(g('y'), k(100))), g('days'))),
    s('days', sub(add(mul(g('n'), k(146_097)), g('days')), k(719_468))),
    s(
      'time',
      [...g('days'), OP.i64ExtendI32U, ...i64(86_400_000), OP.i64Mul],
      [...mul(add(mul(add(mul(g('h'), k(60)), g('mi')), k(60)), g('se')), k(1000)), ...g('mss'), OP.i32Add],
      [OP.i64ExtendI32U, OP.i64Add],
    ),
  ];
  return code.flat();
}

function scanCode(): number[] {
  const global = (n: number) => [OP.globalGet, n];
  const i64At = (at: number): Item[] => [...k(0), ...mem(OP.i64Load, 3, at)];
  return resolve([
    ...s('cA', splat(0x41)),
    ...s('c25', splat(25)),
    ...s('c20', splat(0x20)),
    ...s('cQuote', splat(QUOTE)),
    ...s('cSlash', splat(0x5c)),
    ...s('cNewline', splat(NEWLINE)),
    ...s('ca', splat(0x61)),
    ...s('c0', splat(0x30)),
    ...s('c9', splat(9)),
    ...s('size', global(GLOBALS.size)),
    ...block(
      'done',
      loop(
        'line',
        brIf(geU(iI, g('len')), 'done'),
        brIf(geU(g('size'), k(L.LIMIT)), 'done'),
        s('ls', iI),
        when(eq(byteAt(iI), k(NEWLINE)), inc('i'), br('line')),
        block(
          'bail',
          s('ts', k(-1)),
          s('ms', k(-1)),
          pairsCode(),
          timeCode(),
          inc('i'),
          brIf([...g('time'), ...i64At(L.FROM_AT), OP.i64LtS], 'line'),
          brIf([...g('time'), ...i64At(L.HORIZON_AT), OP.i64GeS], 'line'),
          inc('events'),
          s('bucket', [...g('time'), ...i64At(L.WIDTH_AT), OP.i64DivU]),
          // The bucket's part of every word's hash, mixed once a line.
          s('bmix', [...g('bucket'), ...i64(0x165667b19e3779f9n), OP.i64Mul]),
          wordsCode(),
          br('line'),
        ),
        // Bailed: the line, to its newline (input[$len] is one), is left to the caller.
        s('j', iI),
        block('nl-out', loop('nl', brIf(eq(byteAt(g('j')), k(NEWLINE)), 'nl-out'), inc('j'), br('nl'))),
        [...g('bails'), ...k(3), OP.i32Shl, ...g('ls'), ...mem(OP.i32Store, 2, L.BAIL_AT)],
        [...g('bails'), ...k(3), OP.i32Shl, ...g('j'), ...mem(OP.i32Store, 2, L.BAIL_AT + 4)],
        inc('bails'),
        s('j', add(g('j'), k(1))),
        s('i', g('j')),
        br('line'),
      ),
    ),
    ...g('events'),
    OP.globalSet,
    GLOBALS.events,
    ...g('bails'),
    OP.globalSet,
    GLOBALS.bails,
    ...g('longs'),
    OP.globalSet,
    GLOBALS.longs,
    ...g('size'),
    OP.globalSet,
    GLOBALS.size,
    ...iI,
    OP.end,
  ]);
}

/** The module's bytes: memory "memory", globals "events", "bails", "longs", "size", function "scan". */
export function assembleLineKernel(): Uint8Array<ArrayBuffer> {
  return assemble({
    types: [[[T.i32, T.i32], [T.i32]]],
    functions: [
      {
        type: 0,
        body: body(
          [
            [I32_LOCALS.length, T.i32],
            [I64_LOCALS.length, T.i64],
            [V128_LOCALS.length, T.v128],
          ],
          scanCode(),
        ),
      },
    ],
    memoryPages: L.PAGES,
    globals: 4,
    exports: [
      { name: 'memory', kind: 'memory', index: 0 },
      { name: 'events', kind: 'global', index: GLOBALS.events },
      { name: 'bails', kind: 'global', index: GLOBALS.bails },
      { name: 'longs', kind: 'global', index: GLOBALS.longs },
      { name: 'size', kind: 'global', index: GLOBALS.size },
      { name: 'scan', kind: 'func', index: 0 },
    ],
  });
}
