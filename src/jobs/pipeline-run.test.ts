import { describe, expect, it } from 'vitest';
import { pipelineOfRun } from './pipeline-run.js';

describe('pipeline stage run ids', () => {
  it('name their pipeline; a job id names none', () => {
    expect(pipelineOfRun('j-0mxc1234abcdef.s2')).toBe('j-0mxc1234abcdef');
    expect(pipelineOfRun('j-0mxc1234abcdef.s1.r3')).toBe('j-0mxc1234abcdef');
    expect(pipelineOfRun('j-0mxc1234abcdef')).toBeUndefined();
  });
});
