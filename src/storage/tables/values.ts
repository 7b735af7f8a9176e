import { ValidationError } from './errors.js';
import { compareNumbers, normalizeNumber, sortableNumber } from './numbers.js';
import type { AttributeMap, AttributeValue, ScalarType } from './types.js';

const TYPES = ['S', 'N', 'B', 'BOOL', 'NULL', 'SS', 'NS', 'BS', 'L', 'M'] as const;
/** DynamoDB's limit on nested lists and maps (an item's top-level attributes are level 1). */
export const MAX_NESTING_DEPTH = 32;

/** The type tag of a value (`S`, `N`, `M` …). */
export function typeOf(value: AttributeValue): (typeof TYPES)[number] {
  return Object.keys(value)[0] as (typeof TYPES)[number];
}

/**
 * Checks and canonicalizes a value (numbers normalized, sets de-duplicated); lists and maps nest at most
 * MAX_NESTING_DEPTH levels. @throws ValidationError
 */
export function checkValue(value: unknown, where: string, depth = 1): AttributeValue {
  if (depth > MAX_NESTING_DEPTH) throw new ValidationError('Nesting Levels have exceeded supported limits');
  if (!value || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length !== 1) {
    throw new ValidationError(`Supplied AttributeValue for ${where} has multiple or no datatypes`);
  }
  const [type, inner] = Object.entries(value)[0] as [string, unknown];
  switch (type) {
    case 'S':
      if (typeof inner !== 'string') break;
      return { S: inner };
    case 'N':
      if (typeof inner !== 'string') break;
      return { N: normalizeNumber(inner) };
    case 'B':
      if (typeof inner !== 'string') break;
      return { B: inner };
    case 'BOOL':
      if (typeof inner !== 'boolean') break;
      return { BOOL: inner };
    case 'NULL':
      if (inner !== true) break;
      return { NULL: true };
    case 'SS':
    case 'BS':
    case 'NS': {
      if (!Array.isArray(inner) || inner.length === 0 || inner.some((x) => typeof x !== 'string')) {
        throw new ValidationError(`An string set or number set for ${where} may not be empty`);
      }
      const items = type === 'NS' ? inner.map((x) => normalizeNumber(x as string)) : (inner as string[]);
      if (new Set(items).size !== items.length)
        throw new ValidationError(`Input collection for ${where} contains duplicates`);
      return { [type]: items } as AttributeValue;
    }
    case 'L':
      if (!Array.isArray(inner)) break;
      return { L: inner.map((x, i) => checkValue(x, `${where}[${i}]`, depth + 1)) };
    case 'M':
      if (!inner || typeof inner !== 'object' || Array.isArray(inner)) break;
      return { M: checkMap(inner as Record<string, unknown>, where, depth + 1) };
  }
  throw new ValidationError(`Invalid attribute value for ${where}: type ${type} does not fit its value`);
}

/** Checks every value of an item or key (`depth` of its values: 1 at the top). @throws ValidationError */
export function checkMap(map: Record<string, unknown>, where = 'item', depth = 1): AttributeMap {
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new ValidationError(`${where} must be a map`);
  const out: AttributeMap = {};
  for (const [name, value] of Object.entries(map)) out[name] = checkValue(value, `${where}.${name}`, depth);
  return out;
}

/** Deep equality with set semantics (element order of SS/NS/BS does not matter). */
export function equalValues(a: AttributeValue, b: AttributeValue): boolean {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  const x = (a as Record<string, unknown>)[type];
  const y = (b as Record<string, unknown>)[type];
  switch (type) {
    case 'N':
      return compareNumbers(x as string, y as string) === 0;
    case 'SS':
    case 'BS':
    case 'NS': {
      const xs = x as string[];
      const ys = y as string[];
      const key = type === 'NS' ? sortableNumber : (s: string) => s;
      const set = new Set(xs.map(key));
      return xs.length === ys.length && ys.every((v) => set.has(key(v)));
    }
    case 'L': {
      const xs = x as AttributeValue[];
      const ys = y as AttributeValue[];
      return xs.length === ys.length && xs.every((v, i) => equalValues(v, ys[i] as AttributeValue));
    }
    case 'M': {
      const xs = x as AttributeMap;
      const ys = y as AttributeMap;
      const keys = Object.keys(xs);
      return (
        keys.length === Object.keys(ys).length &&
        keys.every((k) => ys[k] !== undefined && equalValues(xs[k] as AttributeValue, ys[k] as AttributeValue))
      );
    }
    default:
      return x === y;
  }
}

/** Order of two scalars of the same type (S and B by bytes, N numerically); undefined when not comparable. */
export function compareValues(a: AttributeValue, b: AttributeValue): number | undefined {
  const type = typeOf(a);
  if (type !== typeOf(b)) return undefined;
  if (type === 'N') return compareNumbers((a as { N: string }).N, (b as { N: string }).N);
  if (type === 'S') return Buffer.compare(Buffer.from((a as { S: string }).S), Buffer.from((b as { S: string }).S));
  if (type === 'B')
    return Buffer.compare(Buffer.from((a as { B: string }).B, 'base64'), Buffer.from((b as { B: string }).B, 'base64'));
  return undefined;
}

/** A key attribute as text whose SQLite (byte) order is DynamoDB's order for that type. */
export function encodeKey(value: AttributeValue, type: ScalarType): string {
  if (type === 'N') return sortableNumber((value as { N: string }).N);
  if (type === 'B') return Buffer.from((value as { B: string }).B, 'base64').toString('hex');
  return (value as { S: string }).S;
}

/** Approximate stored size of an item in bytes, after DynamoDB's rules (names + values). */
export function itemSize(item: AttributeMap): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  const type = typeOf(value);
  const inner = (value as Record<string, unknown>)[type];
  switch (type) {
    case 'S':
      return Buffer.byteLength(inner as string);
    case 'N':
      return Math.ceil((inner as string).replace(/[^0-9]/g, '').length / 2) + 1;
    case 'B':
      return Buffer.from(inner as string, 'base64').length;
    case 'SS':
      return (inner as string[]).reduce((n, s) => n + Buffer.byteLength(s), 0);
    case 'NS':
      return (inner as string[]).reduce((n, s) => n + Math.ceil(s.length / 2) + 1, 0);
    case 'BS':
      return (inner as string[]).reduce((n, s) => n + Buffer.from(s, 'base64').length, 0);
    case 'L':
      return 3 + (inner as AttributeValue[]).reduce((n, v) => n + 1 + valueSize(v), 0);
    case 'M':
      return 3 + itemSize(inner as AttributeMap) + Object.keys(inner as AttributeMap).length;
    default:
      return 1;
  }
}
