/**
 * A small HyperLogLog (Flajolet et al. 2007, with the linear-counting correction for small sets):
 * 2^12 one-byte registers, a 64-bit slice of MD5 as the hash. No npm package fitted: the maintained
 * ones bundle whole families of sketches with their own dependencies, or need a native addon.
 * Registers travel as base64 so the state is JSON; merging is a register-wise max (associative,
 * commutative, idempotent), so batch ⊕ speed gives the same registers as one pass.
 */
import { createHash } from 'node:crypto';

const P = 12;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);

/** An empty sketch's registers. */
export function emptyRegisters(): Uint8Array {
  return new Uint8Array(M);
}

/** Adds one value (by its JSON text) to the registers. */
export function addToRegisters(registers: Uint8Array, value: unknown): void {
  const digest = createHash('md5')
    .update(typeof value === 'string' ? value : JSON.stringify(value))
    .digest();
  const index = digest.readUInt16BE(0) >>> (16 - P);
  // The remaining 64 - P bits: the position of the first 1 bit, counted from 1.
  const rest = (digest.readBigUInt64BE(0) << BigInt(P)) & 0xffffffffffffffffn;
  let rank = 1;
  for (let bit = 63n; bit >= BigInt(P) && (rest & (1n << bit)) === 0n; bit--) rank++;
  if (rank > (registers[index] ?? 0)) registers[index] = rank;
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

/** Registers as base64 (the JSON state). */
export function encodeRegisters(registers: Uint8Array): string {
  return Buffer.from(registers).toString('base64');
}

/** Registers from base64. */
export function decodeRegisters(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}
