import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FinishedRun } from './job-store.js';
import { expiredRuns, retentionPolicy } from './retention.js';

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

/** Runs as JobStore.finished lists them: grouped by kind, newest first. */
function listed(runs: FinishedRun[]): FinishedRun[] {
  return [...runs].sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : b.finishedAt - a.finishedAt));
}

describe('job retention', () => {
  it('keeps the newest keepRuns of each kind and deletes the older ones', () => {
    const runs = listed([
      { id: 'a1', kind: 'job:wordfreq', finishedAt: NOW - 3000 },
      { id: 'a2', kind: 'job:wordfreq', finishedAt: NOW - 2000 },
      { id: 'a3', kind: 'job:wordfreq', finishedAt: NOW - 1000 },
      { id: 'v1', kind: 'view:top', finishedAt: NOW - 5000 },
    ]);
    expect(expiredRuns(runs, retentionPolicy({ keepRuns: 2 }), NOW)).toEqual(['a1']);
    expect(expiredRuns(runs, retentionPolicy({ keepRuns: 1 }), NOW).sort()).toEqual(['a1', 'a2']);
    expect(expiredRuns(runs, retentionPolicy({ keepRuns: 0, keepDays: 0 }), NOW)).toEqual([]);
  });

  it('deletes runs older than keepDays, except the newest of each kind', () => {
    const runs = listed([
      { id: 'old', kind: 'job:grep', finishedAt: NOW - 40 * DAY },
      { id: 'older', kind: 'job:grep', finishedAt: NOW - 50 * DAY },
      { id: 'alone', kind: 'pipeline:wordfreq+grep', finishedAt: NOW - 400 * DAY },
      { id: 'recent', kind: 'job:wordcount', finishedAt: NOW - DAY },
      { id: 'stale', kind: 'job:wordcount', finishedAt: NOW - 31 * DAY },
    ]);
    expect(expiredRuns(runs, retentionPolicy({ keepRuns: 0, keepDays: 30 }), NOW).sort()).toEqual(['older', 'stale']);
  });

  it('matches its definition for any runs and policy', () => {
    const run = fc.record({
      id: fc.uuid(),
      kind: fc.constantFrom('job:a', 'job:b', 'view:v'),
      finishedAt: fc.integer({ min: NOW - 90 * DAY, max: NOW }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(run, { selector: (r) => r.id, maxLength: 40 }),
        fc.nat(6),
        fc.nat(60),
        (runs, keepRuns, keepDays) => {
          const sorted = listed(runs);
          const expired = new Set(expiredRuns(sorted, { keepRuns, keepDays }, NOW));
          for (const r of sorted) {
            const sameKind = sorted.filter((o) => o.kind === r.kind);
            const rank = sameKind.indexOf(r);
            const overCount = keepRuns > 0 && rank >= keepRuns;
            const overAge = keepDays > 0 && r.finishedAt < NOW - keepDays * DAY;
            expect(expired.has(r.id)).toBe(rank > 0 && (overCount || overAge));
          }
        },
      ),
    );
  });

  it('names a bad limit', () => {
    expect(() => retentionPolicy({ keepRuns: -1 })).toThrow(/keepRuns/);
    expect(() => retentionPolicy({ keepRuns: 1.5 })).toThrow(/keepRuns/);
    expect(() => retentionPolicy({ keepDays: Number.NaN })).toThrow(/keepDays/);
    expect(retentionPolicy({ keepRuns: undefined })).toEqual({ keepRuns: 20, keepDays: 30 });
  });
});
