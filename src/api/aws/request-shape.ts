/**
 * Request shapes for the JSON protocols (Lambda REST, Kinesis, DynamoDB, SQS): one small typed
 * validator checks that a request body is an object and that each member an operation reads has its
 * JSON type, before the operation runs. Each protocol says how a failure is reported (its AWS error).
 */
import type { LambdataError } from '../../shared/errors.js';

/** The JSON type a request member must have. `any` passes everything (checked deeper by the operation). */
export type Shape =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'object'
  | 'any'
  | { readonly list: Shape }
  | { readonly map: Shape }
  | { readonly struct: Members }
  | { readonly required: Shape };

/** The members of a request or structure by name; members not listed pass unchecked. */
export type Members = Readonly<Record<string, Shape>>;

/** How a protocol reports a bad request, as the AWS service does. */
export interface ShapeFailures {
  /** The body or a member has the wrong JSON type. */
  type(message: string): LambdataError;
  /** A required member is absent. */
  missing(message: string): LambdataError;
}

/** Options of `checkInput`. */
export interface CheckOptions {
  /** The query protocol's text values: integers, numbers and booleans may arrive as their text. */
  text?: boolean;
}

const INTEGER_TEXT = /^[+-]?\d{1,16}$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Marks a member as required. */
export function required(shape: Shape): Shape {
  return { required: shape };
}

/**
 * Checks that `body` is a JSON object whose listed members have their shape's type.
 * @throws the protocol's error (`failures.type` / `failures.missing`).
 */
export function checkInput(
  body: unknown,
  members: Members,
  failures: ShapeFailures,
  options: CheckOptions = {},
): Record<string, unknown> {
  if (!isObject(body)) throw failures.type('The request body must be a JSON object');
  checkMembers(body, members, '', failures, options);
  return body;
}

/** The operation named `name` among a table's own entries (never a prototype member such as `constructor`). */
export function ownOperation<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkMembers(
  value: Record<string, unknown>,
  members: Members,
  path: string,
  failures: ShapeFailures,
  options: CheckOptions,
): void {
  for (const [name, shape] of Object.entries(members)) {
    const member = Object.hasOwn(value, name) ? value[name] : undefined;
    checkValue(member, shape, path ? `${path}.${name}` : name, failures, options, true);
  }
}

function checkValue(
  value: unknown,
  shape: Shape,
  path: string,
  failures: ShapeFailures,
  options: CheckOptions,
  member = false,
): void {
  if (typeof shape === 'object' && 'required' in shape) {
    if (value === undefined || value === null) throw failures.missing(`The parameter ${path} is required`);
    checkValue(value, shape.required, path, failures, options);
    return;
  }
  // JSON null is how some SDKs send an absent member; list items and map values must be present.
  if (member && (value === undefined || value === null)) return;
  if (!matches(value, shape, options)) throw failures.type(`${path} must be ${describe(shape)}`);
  if (typeof shape !== 'object') return;
  if ('list' in shape) {
    (value as unknown[]).forEach((item, i) => {
      checkValue(item, shape.list, `${path}[${i}]`, failures, options);
    });
  } else if ('map' in shape) {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      checkValue(item, shape.map, `${path}.${key}`, failures, options);
    }
  } else if ('struct' in shape) {
    checkMembers(value as Record<string, unknown>, shape.struct, path, failures, options);
  }
}

function matches(value: unknown, shape: Shape, options: CheckOptions): boolean {
  const text = options.text === true && typeof value === 'string';
  switch (shape) {
    case 'any':
      return true;
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isSafeInteger(value) || (text && INTEGER_TEXT.test(value as string));
    case 'number':
      return (typeof value === 'number' && Number.isFinite(value)) || (text && NUMBER_TEXT.test(value as string));
    case 'boolean':
      return typeof value === 'boolean' || (text && (value === 'true' || value === 'false'));
    case 'object':
      return isObject(value);
  }
  if ('list' in shape) return Array.isArray(value);
  return isObject(value);
}

function describe(shape: Shape): string {
  if (typeof shape === 'string') return shape === 'integer' ? 'an integer' : `a ${shape}`;
  if ('list' in shape) return 'a list';
  if ('required' in shape) return describe(shape.required);
  return 'an object';
}
