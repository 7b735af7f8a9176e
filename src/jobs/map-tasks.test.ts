import { describe, expect, it } from 'vitest';
import { progressIntervalMs } from './map-tasks.js';

describe('progressIntervalMs', () => {
  it('keeps a job near eight reports a second as it widens, each mapper reporting every 400 ms to 1 s', () => {
    expect(progressIntervalMs(1)).toBe(400);
    expect(progressIntervalMs(4)).toBe(500);
    expect(progressIntervalMs(6)).toBe(750);
    expect(progressIntervalMs(16)).toBe(1000);
    expect(progressIntervalMs(60)).toBe(1000);
    for (const n of [4, 6, 8]) expect((n * 1000) / progressIntervalMs(n)).toBeCloseTo(8, 5);
  });
});
