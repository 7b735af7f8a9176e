import { ValidationError } from './errors.js';
import type { AttributeMap, AttributeValue } from './types.js';

/**
 * Converts plain JSON (as the native API and CLI take it) to a DynamoDB attribute map: strings → S,
 * numbers → N, booleans → BOOL, null → NULL, arrays → L, objects → M.
 * @throws ValidationError for values JSON cannot hold (undefined, functions, non-finite numbers).
 */
export function fromPlain(object: Record<string, unknown>): AttributeMap {
  const out: AttributeMap = {};
  for (const [name, value] of Object.entries(object)) out[name] = plainToValue(value, name);
  return out;
}

/** Converts an attribute map to plain JSON (numbers stay numbers when exact, else strings; sets become arrays; binary base64). */
export function toPlain(map: AttributeMap): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(map)) out[name] = valueToPlain(value);
  return out;
}

function plainToValue(value: unknown, where: string): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'boolean') return { BOOL: value };
  if (typeof value === 'number' && Number.isFinite(value)) return { N: String(value) };
  if (Array.isArray(value)) return { L: value.map((v, i) => plainToValue(v, `${where}[${i}]`)) };
  if (typeof value === 'object') return { M: fromPlain(value as Record<string, unknown>) };
  throw new ValidationError(`Cannot convert ${where} (${typeof value}) to an attribute value`);
}

function valueToPlain(value: AttributeValue): unknown {
  if ('S' in value) return value.S;
  if ('N' in value) return numberToPlain(value.N);
  if ('B' in value) return value.B;
  if ('BOOL' in value) return value.BOOL;
  if ('NULL' in value) return null;
  if ('SS' in value) return [...value.SS];
  if ('NS' in value) return value.NS.map(numberToPlain);
  if ('BS' in value) return [...value.BS];
  if ('L' in value) return value.L.map(valueToPlain);
  return toPlain(value.M);
}

function numberToPlain(text: string): number | string {
  const n = Number(text);
  return String(n) === text ? n : text;
}
