import { describe, expect, it } from 'vitest';
import type { JobCounters, JobEvent } from '../api/native/contract.js';
import { progressLine } from './jobs.js';

const MIB = 1024 * 1024;

function event(counters: Partial<JobCounters>): JobEvent {
  return {
    type: 'progress',
    bytesPerSecond: 0,
    jobId: 'j-1',
    seq: 1,
    at: 0,
    counters: {
      keysDone: 0,
      keysTotal: 10,
      bytesTotal: 100 * MIB,
      tasksDispatched: 4,
      tasksDone: 1,
      tasksRetried: 0,
      words: 0,
      lines: 0,
      bytes: 0,
      invocations: 0,
      billedMs: 0,
      costUsd: 0,
      ...counters,
    },
  };
}

describe('the CLI progress bar', () => {
  it('adds the running attempts to the committed figures and shows the windowed rate', () => {
    const line = progressLine(
      event({ bytes: 25 * MIB, keysDone: 2, running: { bytes: 25 * MIB, words: 0, lines: 0, keys: 3 } }),
      42 * MIB,
    );
    expect(line).toContain('[############............]  50%');
    expect(line).toContain('keys 5/10');
    expect(line).toContain('50.0 MB');
    expect(line).toContain('42.0 MB/s');
  });

  it('never shows more keys than the job has', () => {
    const line = progressLine(event({ keysDone: 9, running: { bytes: 0, words: 0, lines: 0, keys: 4 } }), 0);
    expect(line).toContain('keys 10/10');
  });
});
