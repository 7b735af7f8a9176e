import { ValidationError } from './errors.js';
import type { AttributeMap, WriteOptions } from './types.js';

/**
 * The attributes a write returns for its ReturnValues mode; UPDATED_* pick the top-level
 * attributes the update touched. @throws ValidationError for an unknown mode.
 */
export function returnValues(
  mode: WriteOptions['returnValues'],
  old: AttributeMap | undefined,
  next: AttributeMap | undefined,
  touched: Set<string> | undefined,
): { attributes?: AttributeMap } {
  const pick = (item: AttributeMap | undefined) => {
    if (!item) return undefined;
    const out: AttributeMap = {};
    for (const name of touched ?? []) if (item[name] !== undefined) out[name] = item[name] as AttributeMap[string];
    return out;
  };
  let attributes: AttributeMap | undefined;
  switch (mode ?? 'NONE') {
    case 'NONE':
      return {};
    case 'ALL_OLD':
      attributes = old;
      break;
    case 'ALL_NEW':
      attributes = next;
      break;
    case 'UPDATED_OLD':
      attributes = pick(old);
      break;
    case 'UPDATED_NEW':
      attributes = pick(next);
      break;
    default:
      throw new ValidationError(`Invalid ReturnValues: ${mode}`);
  }
  return attributes && Object.keys(attributes).length ? { attributes } : {};
}
