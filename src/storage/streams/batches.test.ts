import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packBatch, unpackBatch } from './batches.js';

const record = fc.record({
  partitionKey: fc.string({ minLength: 1, maxLength: 256, unit: 'grapheme' }),
  data: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
});

describe('batch rows', () => {
  it('unpack(pack(records)) gives back every key and byte with consecutive counters', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), fc.nat(1_000_000), (records, base) => {
        const packed = packBatch(records);
        const row = { ...packed, last_seq: base + records.length, count: records.length, arrived: 1 };
        const out = unpackBatch(row, 0);
        expect(out.map((r) => r.seq)).toEqual(records.map((_, i) => base + 1 + i));
        expect(out.map((r) => r.partitionKey)).toEqual(records.map((r) => r.partitionKey));
        expect(out.map((r) => r.data.toString('hex'))).toEqual(records.map((r) => r.data.toString('hex')));
      }),
    );
  });

  it('starts inside a batch at the asked counter', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), fc.nat(25), (records, skip) => {
        const row = { ...packBatch(records), last_seq: 100 + records.length, count: records.length, arrived: 1 };
        const out = unpackBatch(row, 101 + skip);
        expect(out.map((r) => r.data.toString('hex'))).toEqual(records.slice(skip).map((r) => r.data.toString('hex')));
      }),
    );
  });
});
