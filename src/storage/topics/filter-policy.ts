/**
 * SNS subscription filter policies: the policy language (exact strings and numbers, `prefix`,
 * `suffix`, `anything-but`, `numeric` ranges, `exists`, `equals-ignore-case`, `$or`) checked when a
 * policy is set, and matched against a message's attributes or its JSON body.
 */
import { InvalidTopicParameter } from './errors.js';

/** A compiled policy: true when a message's values match. */
export type FilterPolicy = (values: Record<string, unknown>) => boolean;

/** The values a policy is matched against. */
export type FilterPolicyScope = 'MessageAttributes' | 'MessageBody';

type Condition = (value: unknown, present: boolean) => boolean;

const MAX_KEYS = 5;
const MAX_COMBINATIONS = 150;
const NUMERIC_OPERATORS = new Set(['=', '<', '<=', '>', '>=']);

/**
 * Parses and checks a policy's JSON text for a scope. Throws InvalidParameter naming what is wrong,
 * as SNS does (`Invalid parameter: FilterPolicy: …`).
 */
export function compileFilterPolicy(text: string, scope: FilterPolicyScope): FilterPolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid('failed to parse JSON.', err);
  }
  if (!isObject(parsed)) throw invalid('Filter policy must be a JSON object');
  if (Object.keys(parsed).length === 0) return () => true;
  const counter = { keys: 0, combinations: 1 };
  const policy = compileObject(parsed, scope, counter);
  if (scope === 'MessageAttributes' && counter.keys > MAX_KEYS) {
    throw invalid(`Filter policy can not have more than ${MAX_KEYS} keys`);
  }
  if (counter.combinations > MAX_COMBINATIONS) throw invalid('Filter policy is too complex');
  return policy;
}

function compileObject(
  node: Record<string, unknown>,
  scope: FilterPolicyScope,
  counter: { keys: number; combinations: number },
): FilterPolicy {
  const parts: FilterPolicy[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
        throw invalid('$or must be a list of at least two objects');
      }
      const options = value.map((option) => compileObject(option, scope, counter));
      parts.push((values) => options.some((option) => option(values)));
      continue;
    }
    if (isObject(value)) {
      if (scope !== 'MessageBody')
        throw invalid(`"${key}" must be an array; nested keys need FilterPolicyScope MessageBody`);
      const nested = compileObject(value, scope, counter);
      parts.push((values) => isObject(values[key]) && nested(values[key] as Record<string, unknown>));
      continue;
    }
    if (!Array.isArray(value) || value.length === 0) throw invalid(`"${key}" must be a non-empty array`);
    counter.keys += 1;
    counter.combinations *= value.length;
    const conditions = value.map((rule) => compileRule(key, rule));
    parts.push((values) => {
      const present = Object.hasOwn(values, key);
      const actual = values[key];
      // An array value matches when any of its elements does (String.Array, JSON arrays in a body).
      const candidates = Array.isArray(actual) ? actual : [actual];
      return conditions.some((condition) =>
        present ? candidates.some((candidate) => condition(candidate, true)) : condition(undefined, false),
      );
    });
  }
  return (values) => parts.every((part) => part(values));
}

function compileRule(key: string, rule: unknown): Condition {
  if (typeof rule === 'string') return (value, present) => present && value === rule;
  if (typeof rule === 'number') return (value, present) => present && toNumber(value) === rule;
  if (rule === null) return (value, present) => present && value === null;
  if (typeof rule === 'boolean') return (value, present) => present && value === rule;
  if (!isObject(rule)) throw invalid(`Unrecognized match type for "${key}"`);
  const entries = Object.entries(rule);
  if (entries.length !== 1) throw invalid(`Match type for "${key}" must have exactly one operator`);
  const [operator, operand] = entries[0] as [string, unknown];
  switch (operator) {
    case 'prefix':
      return textRule(key, operator, operand, (value, text) => value.startsWith(text));
    case 'suffix':
      return textRule(key, operator, operand, (value, text) => value.endsWith(text));
    case 'equals-ignore-case':
      return textRule(key, operator, operand, (value, text) => value.toLowerCase() === text.toLowerCase());
    case 'exists':
      if (typeof operand !== 'boolean') throw invalid(`exists match pattern must be either true or false.`);
      return (_value, present) => present === operand;
    case 'numeric':
      return numericRule(key, operand);
    case 'anything-but':
      return anythingBut(key, operand);
    default:
      throw invalid(`Unrecognized match type ${operator}`);
  }
}

function textRule(
  key: string,
  operator: string,
  operand: unknown,
  test: (value: string, text: string) => boolean,
): Condition {
  if (typeof operand !== 'string') throw invalid(`${operator} match pattern for "${key}" must be a string`);
  return (value, present) => present && typeof value === 'string' && test(value, operand);
}

function numericRule(key: string, operand: unknown): Condition {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0 || operand.length > 4) {
    throw invalid(`Value of numeric for "${key}" must be an array of operator and number pairs`);
  }
  const tests: Array<(n: number) => boolean> = [];
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    const bound = operand[i + 1];
    if (typeof op !== 'string' || !NUMERIC_OPERATORS.has(op))
      throw invalid(`Unrecognized numeric range operator: ${String(op)}`);
    if (typeof bound !== 'number' || !Number.isFinite(bound)) throw invalid(`Value of ${op} must be numeric`);
    if (op === '=' && operand.length > 2) throw invalid('Bad numeric range operator: =');
    tests.push(numericTest(op, bound));
  }
  if (tests.length === 2) {
    const [lowOp, low, highOp, high] = operand as [string, number, string, number];
    if (!lowOp.startsWith('>') || !highOp.startsWith('<') || low >= high) {
      throw invalid('Bottom must be less than top');
    }
  }
  return (value, present) => {
    if (!present) return false;
    const n = toNumber(value);
    return n !== undefined && tests.every((test) => test(n));
  };
}

function numericTest(op: string, bound: number): (n: number) => boolean {
  switch (op) {
    case '=':
      return (n) => n === bound;
    case '<':
      return (n) => n < bound;
    case '<=':
      return (n) => n <= bound;
    case '>':
      return (n) => n > bound;
    default:
      return (n) => n >= bound;
  }
}

function anythingBut(key: string, operand: unknown): Condition {
  if (isObject(operand)) {
    const prefix = operand.prefix;
    if (Object.keys(operand).length !== 1 || typeof prefix !== 'string') {
      throw invalid(`anything-but for "${key}" takes a value, a list of values or {"prefix": …}`);
    }
    return (value, present) => present && !(typeof value === 'string' && value.startsWith(prefix));
  }
  const excluded = Array.isArray(operand) ? operand : [operand];
  if (excluded.length === 0 || !excluded.every((v) => typeof v === 'string' || typeof v === 'number')) {
    throw invalid(`anything-but for "${key}" must list strings or numbers`);
  }
  return (value, present) =>
    present && !excluded.some((v) => (typeof v === 'number' ? toNumber(value) === v : value === v));
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(reason: string, cause?: unknown): InvalidTopicParameter {
  return new InvalidTopicParameter(
    `Invalid parameter: FilterPolicy: ${reason}`,
    cause === undefined ? undefined : { cause },
  );
}
