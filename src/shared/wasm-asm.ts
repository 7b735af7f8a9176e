/**
 * Just enough of the WebAssembly binary format to assemble the mappers' small kernels from
 * readable instruction lists (functions/lib/wasm-count.ts and wasm-words.ts, the batch layer's
 * src/lambda-arch/line-kernel-code.ts), so no compiled blob lives in the repo. Opcodes are those of
 * the WebAssembly 2.0 core and fixed-width SIMD specifications.
 */

/** Core opcodes. */
export const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  void: 0x40,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  select: 0x1b,
  globalGet: 0x23,
  globalSet: 0x24,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Load8U: 0x2d,
  i32Store: 0x36,
  i64Store: 0x37,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32LeU: 0x4d,
  i32GeU: 0x4f,
  i64Eq: 0x51,
  i64LtS: 0x53,
  i64GeS: 0x59,
  i32Ctz: 0x68,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivU: 0x6e,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i64Ctz: 0x7a,
  i64Popcnt: 0x7b,
  i64Add: 0x7c,
  i64Mul: 0x7e,
  i64DivU: 0x80,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrU: 0x88,
  i32WrapI64: 0xa7,
  i64ExtendI32S: 0xac,
  i64ExtendI32U: 0xad,
} as const;

/** SIMD opcodes (each follows the 0xfd prefix). */
export const V = {
  load: 0x00,
  const: 0x0c,
  i8x16Swizzle: 0x0e,
  i8x16Splat: 0x0f,
  i64x2ExtractLane: 0x1d,
  i8x16Eq: 0x23,
  i8x16LtS: 0x25,
  i8x16LeU: 0x2a,
  not: 0x4d,
  and: 0x4e,
  or: 0x50,
  i8x16Bitmask: 0x64,
  i8x16Add: 0x6e,
  i8x16Sub: 0x71,
} as const;

/** Value types. */
export const T = { i32: 0x7f, i64: 0x7e, v128: 0x7b } as const;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of an integer (a bigint for 64-bit constants). */
export function sleb(value: number | bigint): number[] {
  let n = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** A SIMD instruction. */
export function simd(op: number): number[] {
  return [0xfd, ...uleb(op)];
}

/** A v128 constant of sixteen equal bytes. */
export function splat(byte: number): number[] {
  return [...simd(V.const), ...new Array(16).fill(byte)];
}

/** A memory access instruction with its alignment (log2 bytes) and constant offset. */
export function mem(op: number, align: number, offset = 0): number[] {
  return [op, align, ...uleb(offset)];
}

/** A SIMD memory access (v128.load …) with its alignment (log2 bytes) and constant offset. */
export function vmem(op: number, align: number, offset = 0): number[] {
  return [...simd(op), align, ...uleb(offset)];
}

export const get = (i: number) => [OP.localGet, i];
export const set = (i: number) => [OP.localSet, i];
export const i32 = (n: number) => [OP.i32Const, ...sleb(n)];
/** An i64 constant; values past 2^63 wrap to their two's-complement meaning. */
export const i64 = (n: number | bigint) => [OP.i64Const, ...sleb(BigInt.asIntN(64, BigInt(n)))];

/** A function body: local declarations as [count, type] runs, then the code (which must end with `end`). */
export function body(locals: Array<[number, number]>, code: number[]): number[] {
  const bytes = [...uleb(locals.length), ...locals.flatMap(([n, t]) => [...uleb(n), t]), ...code];
  return [...uleb(bytes.length), ...bytes];
}

/** What a module exports, by kind. */
export interface ModuleParts {
  /** Function types as [params, results]. */
  types: Array<[number[], number[]]>;
  /** The type index of each function, with its body from `body()`. */
  functions: Array<{ type: number; body: number[] }>;
  /** Initial memory pages. */
  memoryPages: number;
  /** Mutable i32 globals, all starting at 0. */
  globals: number;
  exports: Array<{ name: string; kind: 'func' | 'memory' | 'global'; index: number }>;
}

/** Assembles a module: types, functions, one memory, mutable i32 globals, exports, code. */
export function assemble(parts: ModuleParts): Uint8Array<ArrayBuffer> {
  const kinds = { func: 0x00, memory: 0x02, global: 0x03 } as const;
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
  const name = (text: string) => [...uleb(text.length), ...Buffer.from(text, 'latin1')];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(parts.types.map(([p, r]) => [0x60, ...vec(p.map((t) => [t])), ...vec(r.map((t) => [t]))]))),
    ...section(3, vec(parts.functions.map((f) => uleb(f.type)))),
    ...section(5, vec([[0x00, ...uleb(parts.memoryPages)]])),
    ...section(6, vec(Array.from({ length: parts.globals }, () => [T.i32, 1, OP.i32Const, 0, OP.end]))),
    ...section(7, vec(parts.exports.map((e) => [...name(e.name), kinds[e.kind], ...uleb(e.index)]))),
    ...section(10, vec(parts.functions.map((f) => f.body))),
  ]);
}

/**
 * An instruction list with structured control flow: numbers are bytes, the markers open and close
 * named blocks and branch to them by name, and `resolve` turns the names into branch depths.
 */
export type Item = number | { open: string } | { close: true } | { br: number; to: string };

const CLOSE = { close: true } as const;

/** `block` … `end`, its label `name`. */
export const block = (name: string, ...code: Item[][]): Item[] => [
  OP.block,
  OP.void,
  { open: name },
  ...code.flat(),
  CLOSE,
];

/** `loop` … `end`, its label `name` (a branch to it goes round again). */
export const loop = (name: string, ...code: Item[][]): Item[] => [
  OP.loop,
  OP.void,
  { open: name },
  ...code.flat(),
  CLOSE,
];

/** `cond` `if` … `end` (no label of its own to branch to). */
export const when = (cond: Item[], ...code: Item[][]): Item[] => [
  ...cond,
  OP.if,
  OP.void,
  { open: '' },
  ...code.flat(),
  CLOSE,
];

/** A branch to the block or loop named `to`. */
export const br = (to: string): Item[] => [{ br: OP.br, to }];

/** A branch to `to` when `cond` is not zero. */
export const brIf = (cond: Item[], to: string): Item[] => [...cond, { br: OP.brIf, to }];

/** The bytes of a structured list: each branch's label name turned into its depth. @throws Error for an unknown label */
export function resolve(items: Item[]): number[] {
  const labels: string[] = [];
  const out: number[] = [];
  for (const item of items) {
    if (typeof item === 'number') out.push(item);
    else if ('open' in item) labels.push(item.open);
    else if ('close' in item) {
      labels.pop();
      out.push(OP.end);
    } else {
      const at = labels.lastIndexOf(item.to);
      if (at < 0 || item.to === '') throw new Error(`no block named ${item.to}`);
      out.push(item.br, labels.length - 1 - at);
    }
  }
  if (labels.length !== 0) throw new Error('a block is not closed');
  return out;
}

const binary =
  (op: number) =>
  (a: Item[], b: Item[]): Item[] => [...a, ...b, op];
/** i32 operations on two operands' code. */
export const I32 = {
  add: binary(OP.i32Add),
  sub: binary(OP.i32Sub),
  mul: binary(OP.i32Mul),
  divU: binary(OP.i32DivU),
  eq: binary(OP.i32Eq),
  ne: binary(OP.i32Ne),
  ltU: binary(OP.i32LtU),
  leU: binary(OP.i32LeU),
  gtU: binary(OP.i32GtU),
  geU: binary(OP.i32GeU),
  /** Bitwise or of all operands. */
  or: (...xs: Item[][]): Item[] => [...(xs[0] ?? []), ...xs.slice(1).flatMap((x) => [...x, OP.i32Or])],
  /** Bitwise and of all operands. */
  and: (...xs: Item[][]): Item[] => [...(xs[0] ?? []), ...xs.slice(1).flatMap((x) => [...x, OP.i32And])],
} as const;
