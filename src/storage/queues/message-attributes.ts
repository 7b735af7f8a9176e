/** Message (user) attributes: their validation on send, and how they are stored and read back. */
import { InvalidQueueParameter } from './errors.js';
import type { MessageAttributeValue } from './types.js';

type StoredAttribute = { dataType: string; stringValue?: string; binaryValue?: string };

/** Checks count, type prefixes and values as SQS does. @throws InvalidParameterValue */
export function validateMessageAttributes(attributes: Record<string, MessageAttributeValue> | undefined): void {
  if (!attributes) return;
  const names = Object.keys(attributes);
  if (names.length > 10)
    throw new InvalidQueueParameter(`Number of message attributes [${names.length}] exceeds the allowed maximum [10].`);
  for (const name of names) {
    const value = attributes[name] as MessageAttributeValue;
    if (!/^(String|Number|Binary)(\..+)?$/.test(value.dataType ?? '')) {
      throw new InvalidQueueParameter(
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    }
    const binary = value.dataType.startsWith('Binary');
    if (binary ? value.binaryValue === undefined : value.stringValue === undefined) {
      throw new InvalidQueueParameter(
        `Message (user) attribute '${name}' must contain a non-empty value of message attribute type '${value.dataType}'.`,
      );
    }
  }
}

/** Message attributes as stored (JSON, binary values in base64). */
export function encodeAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const out: Record<string, StoredAttribute> = {};
  for (const [name, v] of Object.entries(attributes)) {
    out[name] = { dataType: v.dataType, stringValue: v.stringValue, binaryValue: v.binaryValue?.toString('base64') };
  }
  return JSON.stringify(out);
}

/** Stored message attributes read back. */
export function decodeAttributes(text: string | null): Record<string, MessageAttributeValue> {
  if (!text) return {};
  const parsed = JSON.parse(text) as Record<string, StoredAttribute>;
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, v] of Object.entries(parsed)) {
    out[name] = {
      dataType: v.dataType,
      ...(v.stringValue !== undefined ? { stringValue: v.stringValue } : {}),
      ...(v.binaryValue !== undefined ? { binaryValue: Buffer.from(v.binaryValue, 'base64') } : {}),
    };
  }
  return out;
}
