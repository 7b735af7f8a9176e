/** S3 XML documents, built and parsed with fast-xml-parser. */
import type { ServerResponse } from 'node:http';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { S3Error } from './errors.js';

/** The S3 document namespace. */
export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });
const PARSER_OPTIONS = {
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name: string) =>
    [
      'Object',
      'Part',
      'CloudFunctionConfiguration',
      'LambdaFunctionConfiguration',
      'TopicConfiguration',
      'FilterRule',
      'Event',
    ].includes(name),
};
const parser = new XMLParser(PARSER_OPTIONS);
const untrimmedParser = new XMLParser({ ...PARSER_OPTIONS, trimValues: false });
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Builds a document; the root element gets the S3 namespace unless `namespaced` is false. */
export function buildXml(doc: Record<string, unknown>, namespaced = true): string {
  const [root] = Object.keys(doc);
  if (!namespaced || !root) return DECLARATION + builder.build(doc);
  const content = doc[root];
  const element =
    typeof content === 'object' && content !== null
      ? { '@_xmlns': S3_NAMESPACE, ...content }
      : { '@_xmlns': S3_NAMESPACE, '#text': content ?? '' };
  return DECLARATION + builder.build({ [root]: element });
}

/** Bounds on a request document, checked by a linear scan before it is parsed. */
export interface XmlLimits {
  /** Most markup (`<`) a document may hold; parsing cost grows with it. Default 20,000. */
  maxTags?: number;
  /** Most elements of one name (`Part`, `Object`) the schema allows. */
  maxOccurs?: Readonly<Record<string, number>>;
  /** Keep values exactly as sent, whitespace included (object keys). Default false: values are trimmed. */
  keepWhitespace?: boolean;
}

const DEFAULT_MAX_TAGS = 20_000;

/**
 * Parses a request document whose size and element counts fit `limits` (so that parsing one request
 * cannot hold the event loop for long). @throws S3Error MalformedXML
 */
export function parseXml(text: string, limits: XmlLimits = {}): Record<string, unknown> {
  if (countOf(text, '<') > (limits.maxTags ?? DEFAULT_MAX_TAGS)) throw malformedXml();
  for (const [name, max] of Object.entries(limits.maxOccurs ?? {})) {
    if (elementCount(text, name) > max) throw malformedXml();
  }
  try {
    return (limits.keepWhitespace ? untrimmedParser : parser).parse(text, true) as Record<string, unknown>;
  } catch (err) {
    throw malformedXml(err);
  }
}

/** S3's answer to a request document that is not well-formed or not of the expected schema. */
export function malformedXml(cause?: unknown): S3Error {
  return new S3Error(
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
    cause === undefined ? undefined : { cause },
  );
}

/** Sends a 200 XML document with the common S3 headers. */
export function sendXml(res: ServerResponse, doc: Record<string, unknown>, headers: Record<string, string> = {}): void {
  const text = buildXml(doc);
  res.writeHead(200, { ...headers, 'content-type': 'application/xml', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function countOf(text: string, char: string): number {
  let count = 0;
  for (let i = text.indexOf(char); i >= 0; i = text.indexOf(char, i + 1)) count++;
  return count;
}

/** Start tags named `name`, with or without a namespace prefix. */
function elementCount(text: string, name: string): number {
  return text.match(new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${name}[\\s/>]`, 'g'))?.length ?? 0;
}
