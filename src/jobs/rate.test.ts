import { describe, expect, it } from 'vitest';
import { ThroughputWindow } from './rate.js';

describe('ThroughputWindow', () => {
  it('measures over the window, not over the last tiny interval', () => {
    const w = new ThroughputWindow(1000);
    w.add(0, 0);
    for (let t = 250; t <= 3000; t += 250) w.add(t, t * 1000); // 1 MB/s steady
    w.add(3001, 3_250_000); // a commit lands 1 ms later with a 250 kB tail
    const rate = w.perSecond(3001);
    expect(rate).toBeGreaterThan(900_000);
    expect(rate).toBeLessThan(1_300_000);
  });

  it('uses the whole run while it is shorter than the window', () => {
    const w = new ThroughputWindow(1000);
    w.add(0, 0);
    w.add(400, 400_000);
    expect(w.perSecond(400)).toBeCloseTo(1_000_000, -3);
  });

  it('falls when nothing more is counted', () => {
    const w = new ThroughputWindow(1000);
    w.add(0, 0);
    w.add(1000, 1_000_000);
    w.add(3000, 1_000_000);
    expect(w.perSecond(3000)).toBe(0);
  });
});
