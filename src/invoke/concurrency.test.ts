import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter } from './concurrency.js';

const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { reason?: string }).reason;
  }
  return undefined;
};

describe('ConcurrencyLimiter', () => {
  it('gives reserved functions their reservation and the rest what the account limit leaves', () => {
    const reserved: Record<string, number | null> = { big: 3, none: 0 };
    let releases = 0;
    const limiter = new ConcurrencyLimiter({
      limit: 5,
      reservedOf: (name) => reserved[name] ?? null,
      reservedTotal: () => 3,
      onRelease: () => releases++,
    });
    expect(reasonOf(() => limiter.acquire('none'))).toBe('ReservedFunctionConcurrentInvocationLimitExceeded');
    const shared = [limiter.acquire('a'), limiter.acquire('b')];
    // 5 - 3 reserved = 2 unreserved slots, both taken.
    expect(reasonOf(() => limiter.acquire('c'))).toBe('ConcurrentInvocationLimitExceeded');
    const mine = [limiter.acquire('big'), limiter.acquire('big'), limiter.acquire('big')];
    expect(reasonOf(() => limiter.acquire('big'))).toBe('ReservedFunctionConcurrentInvocationLimitExceeded');
    expect(limiter.snapshot()).toEqual({ inUse: 5, limit: 5, byFunction: { a: 1, b: 1, big: 3 } });
    shared[0]?.release();
    shared[0]?.release(); // twice is harmless
    expect(releases).toBe(1);
    expect(limiter.acquire('c')).toBeDefined();
    for (const slot of mine) slot.release();
    expect(limiter.snapshot().byFunction).toEqual({ b: 1, c: 1 });
  });
});
