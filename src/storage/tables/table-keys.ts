/** A table as the store holds it, and its keys: encoding an item's key, and picking an item's key attributes. */
import { ValidationError } from './errors.js';
import type { KeyShape } from './key-condition.js';
import type { IndexMeta } from './secondary-indexes.js';
import type { AttributeMap, ScalarType, StreamViewType, TableDefinition } from './types.js';
import { encodeKey, typeOf } from './values.js';

/** A table's definition, key shape and stream settings, as kept in memory. */
export interface TableMeta {
  id: number;
  definition: TableDefinition;
  shape: KeyShape;
  indexes: IndexMeta[];
  createdAt: number;
  streamLabel?: string;
  viewType?: StreamViewType;
}

/** The encoded key of an item or key; with `wholeItem` other attributes are allowed. @throws ValidationError */
export function keyOf(table: TableMeta, map: AttributeMap, wholeItem: boolean): [string, string] {
  const { partition, sort } = table.shape;
  const names = [partition.name, ...(sort ? [sort.name] : [])];
  if (!wholeItem && Object.keys(map).some((k) => !names.includes(k))) {
    throw new ValidationError('The provided key element does not match the schema');
  }
  const encode = (name: string, type: ScalarType) => {
    const value = map[name];
    if (!value)
      throw new ValidationError(`One or more parameter values were invalid: Missing the key ${name} in the item`);
    if (typeOf(value) !== type) {
      throw new ValidationError(
        `One or more parameter values were invalid: Type mismatch for key ${name} expected: ${type} actual: ${typeOf(value)}`,
      );
    }
    const encoded = encodeKey(value, type);
    if (type !== 'N' && encoded === '') {
      throw new ValidationError(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${type} value. Key: ${name}`,
      );
    }
    return encoded;
  };
  return [encode(partition.name, partition.type), sort ? encode(sort.name, sort.type) : ''];
}

/** The key attributes of an item. */
export function keyAttributes(table: TableMeta, item: AttributeMap): AttributeMap {
  const { partition, sort } = table.shape;
  const keys: AttributeMap = { [partition.name]: item[partition.name] as AttributeMap[string] };
  if (sort) keys[sort.name] = item[sort.name] as AttributeMap[string];
  return keys;
}
