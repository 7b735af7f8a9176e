import { describe, expect, it } from 'vitest';
import { buildXml, parseXml } from './xml.js';

describe('S3 XML', () => {
  it('puts the S3 namespace on the root, with text or element content', () => {
    expect(buildXml({ LocationConstraint: 'eu-west-1' })).toContain(
      '<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>',
    );
    expect(buildXml({ ListBucketResult: { Name: 'b', Contents: [{ Key: 'a&<b>' }, { Key: 'c' }] } })).toContain(
      '<Name>b</Name><Contents><Key>a&amp;&lt;b&gt;</Key></Contents><Contents><Key>c</Key></Contents>',
    );
  });

  it('parses request documents as lists where S3 repeats elements, and rejects malformed XML', () => {
    const doc = parseXml(
      '<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&amp;b</Key></Object></Delete>',
    );
    expect(doc.Delete).toEqual({ Object: [{ Key: 'a&b' }] });
    expect(() => parseXml('<Delete><Object></Delete>')).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
  });
});
