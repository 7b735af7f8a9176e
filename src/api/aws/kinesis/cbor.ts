import { cbor, tag } from '@smithy/core/cbor';
import { SerializationFailed } from '../errors.js';

/** The legacy AWS CBOR protocol Kinesis speaks beside JSON 1.1 (the Java SDKs use it by default). */
export const CBOR_CONTENT_TYPE = 'application/x-amz-cbor-1.1';

/** Epoch-time tag of RFC 8949; AWS's CBOR protocol puts epoch milliseconds under it, not seconds. */
const EPOCH_TAG = 1;
/** No Kinesis request nests deeper than a few levels; anything past this is refused, not recursed into. */
const MAX_DEPTH = 32;

/**
 * Decodes a CBOR request into the JSON 1.1 shape the operations read: blobs (`Data`) become base64
 * strings and tagged timestamps (epoch milliseconds) become epoch seconds.
 */
export function decodeCborRequest(body: Uint8Array): Record<string, unknown> {
  if (body.length === 0) return {};
  let decoded: unknown;
  try {
    decoded = cbor.deserialize(body);
  } catch (err) {
    throw new SerializationFailed('Could not parse request body as CBOR', { cause: err });
  }
  if (decoded === null || typeof decoded !== 'object' || Array.isArray(decoded)) {
    throw new SerializationFailed('The request body must be a CBOR map');
  }
  return fromCbor(decoded) as Record<string, unknown>;
}

/** Encodes a JSON 1.1 shaped response as CBOR: base64 `Data` as byte strings, `*Timestamp` seconds as tagged ms. */
export function encodeCborResponse(body: unknown): Buffer {
  const bytes = cbor.serialize(toCbor(body, ''));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function fromCbor(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new SerializationFailed('The request body nests too deeply');
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map((item) => fromCbor(item, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  const tagged = value as { tag?: unknown; value?: unknown };
  if ('tag' in tagged && 'value' in tagged && Number(tagged.tag) === EPOCH_TAG) return Number(tagged.value) / 1000;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = fromCbor(item, depth + 1);
  return out;
}

function toCbor(value: unknown, key: string): unknown {
  if (key === 'Data' && typeof value === 'string') return Buffer.from(value, 'base64');
  if (key.endsWith('Timestamp') && typeof value === 'number') {
    return tag({ tag: EPOCH_TAG, value: Math.round(value * 1000) });
  }
  if (Array.isArray(value)) return value.map((item) => toCbor(item, ''));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) out[name] = toCbor(item, name);
  return out;
}
