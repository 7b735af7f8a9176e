/**
 * A small HyperLogLog (Flajolet et al. 2007, with the linear-counting correction for small sets):
 * 2^12 one-byte registers, a 64-bit slice of MD5 as the hash. No npm package fitted: the maintained
 * ones bundle whole families of sketches with their own dependencies, or need a native addon.
 * The state is a string, canonical for its registers so equal sketches compare equal: up to
 * SPARSE_MAX set registers as `~index:rank,…` (most buckets of a view see few values), else all
 * registers in base64. Merging is a register-wise max (associative, commutative, idempotent), so
 * batch ⊕ speed gives the same sketch as one pass.
 */
import { createHash } from 'node:crypto';

const P = 12;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);
const SPARSE_MAX = 256;

/** The register a value sets and its rank. */
export function registerOf(value: unknown): [number, number] {
  const digest = createHash('md5')
    .update(typeof value === 'string' ? value : JSON.stringify(value))
    .digest();
  const high = digest.readUInt32BE(0);
  const low = digest.readUInt32BE(4);
  const index = high >>> (32 - P);
  // The rank: position of the first 1 bit in the 64 - P bits after the index, counted from 1.
  const rest = (high << P) >>> 0;
  const rank = rest !== 0 ? Math.clz32(rest) + 1 : 32 - P + (low === 0 ? 32 : Math.clz32(low)) + 1;
  return [index, rank];
}

/** Register-wise max of two sketches. */
export function mergeRegisters(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(M);
  for (let i = 0; i < M; i++) out[i] = Math.max(a[i] ?? 0, b[i] ?? 0);
  return out;
}

/** The estimated number of distinct values added. */
export function estimate(registers: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < M; i++) {
    const r = registers[i] ?? 0;
    sum += 2 ** -r;
    if (r === 0) zeros++;
  }
  const raw = (ALPHA * M * M) / sum;
  if (raw <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
  return Math.round(raw);
}

/** The canonical state of registers. */
export function encodeRegisters(registers: Uint8Array): string {
  const set: string[] = [];
  for (let i = 0; i < M && set.length <= SPARSE_MAX; i++) if (registers[i]) set.push(`${i}:${registers[i]}`);
  return set.length <= SPARSE_MAX ? `~${set.join(',')}` : Buffer.from(registers).toString('base64');
}

/** Registers from a state. */
export function decodeRegisters(state: string): Uint8Array {
  if (!state.startsWith('~')) return new Uint8Array(Buffer.from(state, 'base64'));
  const registers = new Uint8Array(M);
  if (state.length > 1)
    for (const pair of state.slice(1).split(',')) {
      const [i, r] = pair.split(':');
      registers[Number(i)] = Number(r);
    }
  return registers;
}
