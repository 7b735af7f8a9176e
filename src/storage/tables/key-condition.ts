import { ValidationError } from './errors.js';
import type { Condition, Operand } from './expression-parser.js';
import type { AttributeValue, ScalarType, TableDefinition } from './types.js';
import { encodeKey, typeOf } from './values.js';

/** The key schema of a table with each key attribute's type. */
export interface KeyShape {
  partition: { name: string; type: ScalarType };
  sort?: { name: string; type: ScalarType };
}

/** A KeyConditionExpression reduced to SQL on the encoded key columns. */
export interface KeyRange {
  partition: string;
  /** SQL fragment over the sort key column and its parameters. */
  sortSql: string;
  sortParams: string[];
}

/**
 * Turns a parsed KeyConditionExpression into a partition key and an optional sort key range.
 * @throws ValidationError when the condition is not `pk = :v [AND <sort condition>]`.
 */
export function planKeyCondition(condition: Condition, shape: KeyShape, sortColumn: 'sk' | 'isk' = 'sk'): KeyRange {
  const parts = flattenAnd(condition);
  if (!parts.some((part) => part.kind === 'compare' && part.op === '=' && isKey(part.left, shape.partition.name))) {
    throw new ValidationError(`Query condition missed key schema element: ${shape.partition.name}`);
  }
  let partition: string | undefined;
  let sortSql = '';
  let sortParams: string[] = [];
  for (const part of parts) {
    if (part.kind === 'compare' && part.op === '=' && isKey(part.left, shape.partition.name)) {
      partition = encodeKey(keyValue(part.right, shape.partition.type, shape.partition.name), shape.partition.type);
      continue;
    }
    const sort = shape.sort;
    if (!sort || sortSql) throw invalidKeyCondition();
    if (part.kind === 'compare' && isKey(part.left, sort.name) && part.op !== '<>') {
      sortSql = `${sortColumn} ${part.op} ?`;
      sortParams = [encodeKey(keyValue(part.right, sort.type, sort.name), sort.type)];
    } else if (part.kind === 'between' && isKey(part.operand, sort.name)) {
      sortSql = `${sortColumn} BETWEEN ? AND ?`;
      sortParams = [part.low, part.high].map((o) => encodeKey(keyValue(o, sort.type, sort.name), sort.type));
    } else if (part.kind === 'function' && part.name === 'begins_with' && isKey(part.args[0], sort.name)) {
      if (sort.type === 'N')
        throw new ValidationError(
          'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N',
        );
      const prefix = encodeKey(keyValue(part.args[1], sort.type, sort.name), sort.type);
      sortSql = `${sortColumn} >= ? AND substr(${sortColumn}, 1, ?) = ?`;
      sortParams = [prefix, String(prefix.length), prefix];
    } else {
      throw invalidKeyCondition();
    }
  }
  if (partition === undefined) {
    throw new ValidationError(`Query condition missed key schema element: ${shape.partition.name}`);
  }
  return { partition, sortSql, sortParams };
}

/** The key schema of a table definition with key types. @throws ValidationError when malformed. */
export function keyShape(definition: TableDefinition): KeyShape {
  const schema = definition.keySchema ?? [];
  const hash = schema.filter((k) => k.keyType === 'HASH');
  const range = schema.filter((k) => k.keyType === 'RANGE');
  if (hash.length !== 1 || range.length > 1 || schema.length !== hash.length + range.length) {
    throw new ValidationError('KeySchema must hold one HASH key and at most one RANGE key');
  }
  const typeOfKey = (name: string): ScalarType => {
    const def = (definition.attributeDefinitions ?? []).find((d) => d.attributeName === name);
    if (!def || !['S', 'N', 'B'].includes(def.attributeType)) {
      throw new ValidationError(
        `One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${name}]`,
      );
    }
    return def.attributeType;
  };
  const partitionName = (hash[0] as { attributeName: string }).attributeName;
  return {
    partition: { name: partitionName, type: typeOfKey(partitionName) },
    ...(range[0] ? { sort: { name: range[0].attributeName, type: typeOfKey(range[0].attributeName) } } : {}),
  };
}

function flattenAnd(condition: Condition): Condition[] {
  if (condition.kind === 'and') return [...flattenAnd(condition.left), ...flattenAnd(condition.right)];
  return [condition];
}

function isKey(operand: Operand | undefined, name: string): boolean {
  return operand?.kind === 'path' && operand.path.length === 1 && operand.path[0] === name;
}

function keyValue(operand: Operand | undefined, type: ScalarType, name: string): AttributeValue {
  if (operand?.kind !== 'value') throw invalidKeyCondition();
  if (typeOf(operand.value) !== type) {
    throw new ValidationError(
      `One or more parameter values were invalid: Condition parameter type does not match schema type for ${name}`,
    );
  }
  return operand.value;
}

function invalidKeyCondition(): ValidationError {
  return new ValidationError('Query key condition not supported');
}
