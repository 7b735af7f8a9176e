/**
 * The SNS query protocol: form parameters (`Attributes.entry.1.key=…`, `Tags.member.1.Key=…`,
 * `MessageAttributes.entry.1.Value.DataType=…`) into a request tree, and results into XML.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { isNumbered, numbered, parseQueryForm } from '../query-form.js';

/** A request as a tree: `member` lists become arrays, `entry` maps become objects. */
export type SnsInput = Record<string, unknown>;

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });

/** Translates form parameters into the request tree, and the action name. */
export function queryToInput(params: URLSearchParams): { action: string; input: SnsInput } {
  const { action, tree } = parseQueryForm(params);
  return { action, input: normalize(tree) as SnsInput };
}

/** The XML answer of an action: `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata/>`. */
export function resultToXml(action: string, result: Record<string, unknown>, requestId: string): string {
  return builder.build({
    [`${action}Response`]: {
      '@_xmlns': XMLNS,
      [`${action}Result`]: result,
      ResponseMetadata: { RequestId: requestId },
    },
  });
}

/** SNS's error document. */
export function errorToXml(type: 'Sender' | 'Receiver', code: string, message: string, requestId: string): string {
  return builder.build({
    ErrorResponse: { '@_xmlns': XMLNS, Error: { Type: type, Code: code, Message: message }, RequestId: requestId },
  });
}

/** `{ member: [a, b] }`, the query protocol's list. */
export function members<T>(items: T[]): { member: T[] } | '' {
  return items.length ? { member: items } : '';
}

/** `{ entry: [{ key, value }] }`, the query protocol's map. */
export function entries(map: Record<string, string>): { entry: Array<{ key: string; value: string }> } | '' {
  const list = Object.entries(map).map(([key, value]) => ({ key, value }));
  return list.length ? { entry: list } : '';
}

function normalize(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node;
  const object = node as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 1 && keys[0] === 'member' && isNumbered(object.member)) {
    return numbered(object.member).map(normalize);
  }
  if (keys.length === 1 && keys[0] === 'entry' && isNumbered(object.entry)) {
    const map: Record<string, unknown> = Object.create(null);
    for (const item of numbered(object.entry) as Array<Record<string, unknown>>) {
      const key = item.key ?? item.Name;
      if (typeof key === 'string') map[key] = normalize(item.value ?? item.Value);
    }
    return map;
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = normalize(object[key]);
  return out;
}
