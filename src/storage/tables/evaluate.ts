import { ValidationError } from './errors.js';
import type { Condition, Operand, Path, UpdateActions } from './expression-parser.js';
import { addNumbers, subtractNumbers } from './numbers.js';
import type { AttributeMap, AttributeValue } from './types.js';
import { compareValues, equalValues, typeOf } from './values.js';

/** The value at a document path, or undefined when any step is missing. */
export function resolvePath(item: AttributeMap, path: Path): AttributeValue | undefined {
  let current: AttributeValue | undefined = { M: item };
  for (const step of path) {
    if (!current) return undefined;
    if (typeof step === 'number') current = 'L' in current ? (current.L as AttributeValue[])[step] : undefined;
    else current = 'M' in current ? (current.M as AttributeMap)[step] : undefined;
  }
  return current;
}

/** Evaluates a condition against an item (missing attributes make comparisons false). */
export function evaluateCondition(condition: Condition, item: AttributeMap): boolean {
  switch (condition.kind) {
    case 'and':
      return evaluateCondition(condition.left, item) && evaluateCondition(condition.right, item);
    case 'or':
      return evaluateCondition(condition.left, item) || evaluateCondition(condition.right, item);
    case 'not':
      return !evaluateCondition(condition.operand, item);
    case 'compare': {
      const left = evaluateOperand(condition.left, item);
      const right = evaluateOperand(condition.right, item);
      if (!left || !right) return condition.op === '<>' && (left !== undefined || right !== undefined);
      if (condition.op === '=') return equalValues(left, right);
      if (condition.op === '<>') return !equalValues(left, right);
      const order = compareValues(left, right);
      if (order === undefined) return false;
      return { '<': order < 0, '<=': order <= 0, '>': order > 0, '>=': order >= 0 }[condition.op];
    }
    case 'between': {
      const value = evaluateOperand(condition.operand, item);
      const low = evaluateOperand(condition.low, item);
      const high = evaluateOperand(condition.high, item);
      if (!value || !low || !high) return false;
      const a = compareValues(value, low);
      const b = compareValues(value, high);
      return a !== undefined && b !== undefined && a >= 0 && b <= 0;
    }
    case 'in': {
      const value = evaluateOperand(condition.operand, item);
      return (
        !!value &&
        condition.list.some((o) => {
          const candidate = evaluateOperand(o, item);
          return candidate !== undefined && equalValues(value, candidate);
        })
      );
    }
    case 'function':
      return evaluateFunction(condition.name, condition.args, item);
  }
}

/** The value of an operand against an item. @throws ValidationError on type errors in arithmetic. */
export function evaluateOperand(operand: Operand, item: AttributeMap): AttributeValue | undefined {
  switch (operand.kind) {
    case 'value':
      return operand.value;
    case 'path':
      return resolvePath(item, operand.path);
    case 'size': {
      const value = resolvePath(item, operand.path);
      if (!value) return undefined;
      const type = typeOf(value);
      const inner = (value as Record<string, unknown>)[type];
      if (type === 'S') return { N: String(Buffer.byteLength(inner as string)) };
      if (type === 'B') return { N: String(Buffer.from(inner as string, 'base64').length) };
      if (Array.isArray(inner)) return { N: String(inner.length) };
      if (type === 'M') return { N: String(Object.keys(inner as object).length) };
      return undefined;
    }
    case 'arith': {
      const left = evaluateOperand(operand.left, item);
      const right = evaluateOperand(operand.right, item);
      if (!left || !right) throw new ValidationError('An operand in the update expression does not exist in the item');
      if (!('N' in left) || !('N' in right))
        throw new ValidationError('An operand in the update expression has an incorrect data type');
      return { N: operand.op === '+' ? addNumbers(left.N, right.N) : subtractNumbers(left.N, right.N) };
    }
    case 'if_not_exists':
      return resolvePath(item, operand.path) ?? evaluateOperand(operand.fallback, item);
    case 'list_append': {
      const left = evaluateOperand(operand.left, item);
      const right = evaluateOperand(operand.right, item);
      if (!left || !right || !('L' in left) || !('L' in right)) {
        throw new ValidationError('Incorrect operand type for operator or function; operator or function: list_append');
      }
      return { L: [...left.L, ...right.L] };
    }
  }
}

/**
 * Applies update actions to a copy of `item`; every operand is read from the item as it was before
 * the update, as DynamoDB does. Returns the new item and the top-level attributes touched.
 * @throws ValidationError for invalid paths and type mismatches.
 */
export function applyUpdate(item: AttributeMap, actions: UpdateActions): { item: AttributeMap; touched: Set<string> } {
  const next = structuredClone(item);
  const touched = new Set<string>();
  const values = actions.set.map((a) => evaluateOperand(a.value, item));
  actions.set.forEach((action, i) => {
    const value = values[i];
    if (!value)
      throw new ValidationError('The provided expression refers to an attribute that does not exist in the item');
    setPath(next, action.path, value);
    touched.add(String(action.path[0]));
  });
  for (const path of [...actions.remove].sort(byIndexDescending)) {
    removePath(next, path);
    touched.add(String(path[0]));
  }
  for (const action of actions.add) {
    const delta = evaluateOperand(action.value, item) as AttributeValue;
    const current = resolvePath(next, action.path);
    if ('N' in delta) {
      if (current && !('N' in current))
        throw new ValidationError('An operand in the update expression has an incorrect data type');
      setPath(next, action.path, { N: addNumbers(current && 'N' in current ? current.N : '0', delta.N) });
    } else if ('SS' in delta || 'NS' in delta || 'BS' in delta) {
      const type = typeOf(delta) as 'SS' | 'NS' | 'BS';
      if (current && typeOf(current) !== type)
        throw new ValidationError('An operand in the update expression has an incorrect data type');
      const merged = [...((current as Record<string, string[]> | undefined)?.[type] ?? [])];
      for (const v of (delta as Record<string, string[]>)[type] as string[]) {
        if (!merged.some((m) => equalValues({ [type]: [m] } as AttributeValue, { [type]: [v] } as AttributeValue)))
          merged.push(v);
      }
      setPath(next, action.path, { [type]: merged } as AttributeValue);
    } else {
      throw new ValidationError(
        `Incorrect operand type for operator or function; operator: ADD, operand type: ${typeOf(delta)}`,
      );
    }
    touched.add(String(action.path[0]));
  }
  for (const action of actions.delete) {
    const delta = evaluateOperand(action.value, item) as AttributeValue;
    const type = typeOf(delta);
    if (type !== 'SS' && type !== 'NS' && type !== 'BS') {
      throw new ValidationError(
        `Incorrect operand type for operator or function; operator: DELETE, operand type: ${type}`,
      );
    }
    const current = resolvePath(next, action.path);
    touched.add(String(action.path[0]));
    if (!current) continue;
    if (typeOf(current) !== type)
      throw new ValidationError('An operand in the update expression has an incorrect data type');
    const removed = (delta as Record<string, string[]>)[type] as string[];
    const left = ((current as Record<string, string[]>)[type] as string[]).filter(
      (m) => !removed.some((v) => equalValues({ [type]: [m] } as AttributeValue, { [type]: [v] } as AttributeValue)),
    );
    if (left.length) setPath(next, action.path, { [type]: left } as AttributeValue);
    else removePath(next, action.path);
  }
  return { item: next, touched };
}

/**
 * A copy of the item holding only the projected paths. Nested paths keep their enclosing maps;
 * picked list elements collapse into a list in index order, as DynamoDB returns them.
 */
export function project(item: AttributeMap, paths: Path[]): AttributeMap {
  type Node = { value?: AttributeValue; children: Map<string | number, Node> };
  const root: Node = { children: new Map() };
  for (const path of paths) {
    const value = resolvePath(item, path);
    if (!value) continue;
    let node = root;
    for (const step of path) {
      let child = node.children.get(step);
      if (!child) {
        child = { children: new Map() };
        node.children.set(step, child);
      }
      node = child;
    }
    node.value = value;
  }
  const build = (node: Node): AttributeValue => {
    if (node.value) return structuredClone(node.value);
    const entries = [...node.children.entries()];
    if (typeof entries[0]?.[0] === 'number') {
      return { L: entries.sort((a, b) => (a[0] as number) - (b[0] as number)).map(([, child]) => build(child)) };
    }
    return { M: Object.fromEntries(entries.map(([step, child]) => [String(step), build(child)])) };
  };
  return (build(root) as { M: AttributeMap }).M;
}

function setPath(item: AttributeMap, path: Path, value: AttributeValue): void {
  const parent = resolveParent(item, path);
  const last = path.at(-1) as string | number;
  if (typeof last === 'number') {
    if (!('L' in parent)) throw invalidPath();
    if (last >= parent.L.length) parent.L.push(value);
    else parent.L[last] = value;
  } else {
    if (!('M' in parent)) throw invalidPath();
    parent.M[last] = value;
  }
}

function removePath(item: AttributeMap, path: Path): void {
  let parent: AttributeValue;
  try {
    parent = resolveParent(item, path);
  } catch (err) {
    if ((err as { code?: string }).code === 'ValidationException') return;
    throw err;
  }
  const last = path.at(-1) as string | number;
  if (typeof last === 'number' && 'L' in parent) parent.L.splice(last, 1);
  else if (typeof last === 'string' && 'M' in parent) delete parent.M[last];
}

function resolveParent(item: AttributeMap, path: Path): AttributeValue {
  const parent = path.length === 1 ? { M: item } : resolvePath(item, path.slice(0, -1));
  if (!parent) throw invalidPath();
  return parent;
}

function evaluateFunction(name: string, args: Operand[], item: AttributeMap): boolean {
  const pathArg = (i: number) => {
    const arg = args[i];
    if (arg?.kind !== 'path')
      throw new ValidationError(`Invalid expression: operand ${i + 1} of ${name} must be an attribute path`);
    return arg.path;
  };
  switch (name) {
    case 'attribute_exists':
      return resolvePath(item, pathArg(0)) !== undefined;
    case 'attribute_not_exists':
      return resolvePath(item, pathArg(0)) === undefined;
    case 'attribute_type': {
      const value = resolvePath(item, pathArg(0));
      const type = evaluateOperand(args[1] as Operand, item);
      return !!value && !!type && 'S' in type && typeOf(value) === type.S;
    }
    case 'begins_with': {
      const value = evaluateOperand(args[0] as Operand, item);
      const prefix = evaluateOperand(args[1] as Operand, item);
      if (!value || !prefix) return false;
      if ('S' in value && 'S' in prefix) return value.S.startsWith(prefix.S);
      if ('B' in value && 'B' in prefix) {
        const bytes = Buffer.from(value.B, 'base64');
        const start = Buffer.from(prefix.B, 'base64');
        return bytes.subarray(0, start.length).equals(start);
      }
      return false;
    }
    case 'contains': {
      const value = evaluateOperand(args[0] as Operand, item);
      const needle = evaluateOperand(args[1] as Operand, item);
      if (!value || !needle) return false;
      if ('S' in value) return 'S' in needle && value.S.includes(needle.S);
      if ('L' in value) return value.L.some((v) => equalValues(v, needle));
      const type = typeOf(value);
      if (type === 'SS' || type === 'NS' || type === 'BS') {
        const scalar = type.slice(0, 1);
        if (typeOf(needle) !== scalar) return false;
        const inner = (needle as Record<string, string>)[scalar] as string;
        return ((value as Record<string, string[]>)[type] as string[]).some((v) =>
          equalValues({ [scalar]: v } as AttributeValue, { [scalar]: inner } as AttributeValue),
        );
      }
      return false;
    }
    default:
      throw new ValidationError(`Invalid function name; function: ${name}`);
  }
}

function byIndexDescending(a: Path, b: Path): number {
  const x = a.at(-1);
  const y = b.at(-1);
  return typeof x === 'number' && typeof y === 'number' ? y - x : 0;
}

function invalidPath(): ValidationError {
  return new ValidationError('The document path provided in the update expression is invalid for update');
}
