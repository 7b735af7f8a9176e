import { describe, expect, it } from 'vitest';
import { eventTime } from './view-module.js';

describe('event time', () => {
  it('reads ISO text or epoch ms, and refuses a time no date can hold (it would stall the archive)', () => {
    expect(eventTime({ t: '2026-01-05T10:00:00Z' }, 't')).toBe(Date.UTC(2026, 0, 5, 10));
    expect(eventTime({ t: 1_700_000_000_000 }, 't')).toBe(1_700_000_000_000);
    expect(eventTime({ t: 1e20 }, 't')).toBeUndefined();
    expect(eventTime({ t: 'soon' }, 't')).toBeUndefined();
    expect(eventTime({}, 't')).toBeUndefined();
  });
});
