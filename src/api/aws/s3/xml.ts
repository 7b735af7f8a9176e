/** S3 XML documents, built and parsed with fast-xml-parser. */
import type { ServerResponse } from 'node:http';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { S3Error } from './errors.js';

/** The S3 document namespace. */
export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });
const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) =>
    ['Object', 'Part', 'CloudFunctionConfiguration', 'LambdaFunctionConfiguration', 'FilterRule', 'Event'].includes(
      name,
    ),
});
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

/** Parses a request document. @throws S3Error MalformedXML */
export function parseXml(text: string): Record<string, unknown> {
  try {
    const parsed = parser.parse(text, true) as Record<string, unknown>;
    return parsed;
  } catch (err) {
    throw new S3Error(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
      400,
      {
        cause: err,
      },
    );
  }
}

/** Sends a 200 XML document with the common S3 headers. */
export function sendXml(res: ServerResponse, doc: Record<string, unknown>, headers: Record<string, string> = {}): void {
  const text = buildXml(doc);
  res.writeHead(200, { ...headers, 'content-type': 'application/xml', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
