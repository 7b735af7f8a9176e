import { describe, expect, it } from 'vitest';
import { lambdaPrices, parseReport, recordFromReport } from './prices.js';
import { validateTarget } from './targets.js';

const TAIL = [
  'START RequestId: 8f5c Version: $LATEST',
  '2026-12-06T22:00:00.000Z\t8f5c\tINFO\tcounting',
  'END RequestId: 8f5c',
  'REPORT RequestId: 8f5c\tDuration: 1234.56 ms\tBilled Duration: 1235 ms\tMemory Size: 1024 MB\tMax Memory Used: 87 MB\tInit Duration: 180.02 ms',
  '',
].join('\n');

describe('REPORT lines and AWS prices', () => {
  it('reads the figures of a Tail log’s REPORT line, with and without Init Duration', () => {
    expect(parseReport(TAIL)).toEqual({
      requestId: '8f5c',
      durationMs: 1234.56,
      billedDurationMs: 1235,
      memorySizeMb: 1024,
      maxMemoryUsedMb: 87,
      initDurationMs: 180.02,
    });
    const warm = parseReport(
      'REPORT RequestId: a1\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB',
    );
    expect(warm?.initDurationMs).toBeNull();
    expect(parseReport('START RequestId: x Version: $LATEST\n')).toBeUndefined();
  });

  it('prices billed GB-seconds by region and architecture', () => {
    const x86 = lambdaPrices('us-east-1', 'x86_64');
    const arm = lambdaPrices('eu-west-1', 'arm64');
    expect(x86.perGbSecond).toBe(0.0000166667);
    expect(arm.perGbSecond).toBe(0.0000133334);
    expect(lambdaPrices('af-south-1', 'x86_64').perGbSecond).toBeGreaterThan(x86.perGbSecond);
    const figures = parseReport(TAIL);
    if (!figures) throw new Error('no report');
    const record = recordFromReport('wordcount', 'job:j-1', figures, x86, false);
    expect(record.gbSeconds).toBeCloseTo(1.235, 9);
    expect(record.costUsd).toBeCloseTo(1.235 * 0.0000166667 + 0.2e-6, 12);
    expect(record.billedDurationMs).toBe(1235);
  });

  it('validates a target’s options, naming the bad one', () => {
    expect(validateTarget({ name: 'aws', region: 'eu-west-1' })).toMatchObject({ architecture: 'x86_64' });
    expect(() => validateTarget({ name: 'local', region: 'eu-west-1' })).toThrow(/local/);
    expect(() => validateTarget({ name: 'aws', region: 'moon' })).toThrow(/--region/);
    expect(() => validateTarget({ name: 'aws', region: 'us-east-1', endpoint: 'ftp://x' })).toThrow(/--endpoint/);
    expect(() => validateTarget({ name: 'aws', region: 'us-east-1', roleArn: 'role' })).toThrow(/--role-arn/);
    expect(() => validateTarget({ name: 'aws', region: 'us-east-1', architecture: 'mips' })).toThrow(/--architecture/);
    expect(() => validateTarget({ name: '../x', region: 'us-east-1' })).toThrow(/target name/);
  });
});
