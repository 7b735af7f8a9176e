import { describe, expect, it } from 'vitest';
import { md5OfBody, md5OfMessageAttributes } from './md5.js';

// Vectors from the AWS CLI's documented SQS examples (send-message / receive-message output).
describe('SQS MD5 digests', () => {
  it('match the body digest AWS reports', () => {
    expect(md5OfBody('Information about the largest city in Any Region.')).toBe('51b0a3256d59467f973009b739163aa0');
  });

  it('match the message attribute digests AWS reports, whatever the attribute order', () => {
    const city = { dataType: 'String', stringValue: 'Any City' };
    const postal = { dataType: 'String', stringValue: 'ABC123' };
    expect(md5OfMessageAttributes({ PostalCode: postal, City: city })).toBe('9424c491ff2bbec06ecbc9d226bc3ae7');
    expect(md5OfMessageAttributes({ City: city, PostalCode: postal })).toBe('9424c491ff2bbec06ecbc9d226bc3ae7');
    expect(md5OfMessageAttributes({ PostalCode: postal })).toBe('b8e89563a83b6381835710c1e088e74f');
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });
});
