import { describe, expect, it } from 'vitest';
import { decodeIterator, encodeIterator } from './iterators.js';

describe('shard iterators', () => {
  it('expire five minutes after they are issued', () => {
    const text = encodeIterator({
      streamName: 's',
      shardId: 'shardId-000000000000',
      position: { after: '1' },
      issuedAt: 0,
    });
    expect(decodeIterator(text, 299_000).position).toEqual({ after: '1' });
    expect(() => decodeIterator(text, 301_000)).toThrowError(
      expect.objectContaining({ code: 'ExpiredIteratorException' }),
    );
    expect(() => decodeIterator('garbage!', 0)).toThrowError(
      expect.objectContaining({ code: 'InvalidArgumentException' }),
    );
  });
});
