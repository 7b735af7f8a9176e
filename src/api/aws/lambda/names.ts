import { FUNCTION_ARN } from '../../../shared/arn.js';
import { InvalidParameterValue } from '../../../shared/errors.js';

const PARTIAL = /^([A-Za-z0-9_-]+)(?::([\w$-]+))?$/;

/**
 * Splits a FunctionName parameter — a name, `name:qualifier`, or a full or qualified ARN — into
 * the plain name and the qualifier it carries. An explicit `Qualifier` that disagrees is an error.
 * @throws InvalidParameterValueException for anything else.
 */
export function parseFunctionName(raw: string, qualifier?: string | null): { name: string; qualifier?: string } {
  const m = FUNCTION_ARN.exec(raw) ?? PARTIAL.exec(raw);
  if (!m?.[1]) throw new InvalidParameterValue(`Invalid function name or ARN: ${raw}`);
  const inline = m[2];
  if (inline && qualifier && inline !== qualifier) {
    throw new InvalidParameterValue(
      'The derived qualifier from the function name does not match the specified qualifier.',
    );
  }
  const q = inline ?? (qualifier || undefined);
  return q ? { name: m[1], qualifier: q } : { name: m[1] };
}
