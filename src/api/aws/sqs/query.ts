import { XMLBuilder } from 'fast-xml-parser';
import { isNumbered, numbered, parseQueryForm } from '../query-form.js';
import type { SqsInput } from './operations.js';

const XMLNS = 'http://queue.amazonaws.com/doc/2012-11-05/';
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });

/** Lists whose query-protocol member name is not the JSON name. */
const LIST_NAMES: Record<string, string> = {
  AttributeName: 'AttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  SendMessageBatchRequestEntry: 'Entries',
  DeleteMessageBatchRequestEntry: 'Entries',
  ChangeMessageVisibilityBatchRequestEntry: 'Entries',
};

/** Maps sent as `Name.N.Name` / `Name.N.Value`. */
const MAP_NAMES: Record<string, string> = {
  Attribute: 'Attributes',
  MessageAttribute: 'MessageAttributes',
  Tag: 'Tags',
};

/**
 * Translates form-encoded query-protocol parameters (`Attribute.1.Name=…`,
 * `SendMessageBatchRequestEntry.2.MessageBody=…`) into the JSON protocol's request shape.
 */
export function queryToInput(params: URLSearchParams): { action: string; input: SqsInput } {
  const { action, tree } = parseQueryForm(params);
  return { action, input: normalize(tree) as SqsInput };
}

/** Builds the query protocol's XML answer from a JSON-shaped result. */
export function resultToXml(action: string, result: Record<string, unknown>, requestId: string): string {
  const body: Record<string, unknown> = {};
  if (Object.keys(result).length || action !== 'DeleteQueue') body[`${action}Result`] = toXmlShape(action, result);
  return builder.build({
    [`${action}Response`]: { '@_xmlns': XMLNS, ...body, ResponseMetadata: { RequestId: requestId } },
  });
}

/** The query protocol's error document. */
export function errorToXml(type: 'Sender' | 'Receiver', code: string, message: string, requestId: string): string {
  return builder.build({
    ErrorResponse: {
      '@_xmlns': XMLNS,
      Error: { Type: type, Code: code, Message: message, Detail: '' },
      RequestId: requestId,
    },
  });
}

/** Turns `{ Attribute: { '1': { Name, Value } } }` into `{ Attributes: { Name: Value } }` and numbered lists into arrays. */
function normalize(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key in MAP_NAMES && isNumbered(value)) {
      const map: Record<string, unknown> = Object.create(null);
      for (const entry of numbered(value) as { Name?: string; Value?: unknown }[]) {
        if (entry.Name !== undefined) map[entry.Name] = normalize(entry.Value);
      }
      out[MAP_NAMES[key] as string] = map;
    } else if (key in LIST_NAMES && isNumbered(value)) {
      out[LIST_NAMES[key] as string] = numbered(value).map(normalize);
    } else if (isNumbered(value)) {
      out[key] = numbered(value).map(normalize);
    } else {
      out[key] = normalize(value);
    }
  }
  return out;
}

function toXmlShape(action: string, result: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(result)) {
    if (key === 'Attributes') out.Attribute = mapToPairs(value as Record<string, string>);
    else if (key === 'Tags')
      out.Tag = Object.entries(value as Record<string, string>).map(([Key, Value]) => ({ Key, Value }));
    else if (key === 'QueueUrls') out.QueueUrl = value;
    else if (key === 'Messages') out.Message = (value as Record<string, unknown>[]).map(messageToXml);
    else if (key === 'Successful') out[`${action}ResultEntry`] = value;
    else if (key === 'Failed') out.BatchResultErrorEntry = value;
    else out[key] = value;
  }
  return out;
}

function messageToXml(message: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) {
    if (key === 'Attributes') out.Attribute = mapToPairs(value as Record<string, string>);
    else if (key === 'MessageAttributes') {
      out.MessageAttribute = Object.entries(value as Record<string, unknown>).map(([Name, Value]) => ({ Name, Value }));
    } else out[key] = value;
  }
  return out;
}

function mapToPairs(map: Record<string, string>): { Name: string; Value: string }[] {
  return Object.entries(map).map(([Name, Value]) => ({ Name, Value }));
}
