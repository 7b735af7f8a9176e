import { describe, expect, it } from 'vitest';
import {
  arnService,
  functionArn,
  isDestinationArn,
  isFunctionRef,
  kinesisStreamArn,
  kinesisStreamNameOf,
  parseFunctionRef,
  queueArn,
  queueNameOf,
  tableArn,
  tableNameOf,
  tableNameOfStream,
  tableStreamArn,
} from './arn.js';

describe('ARNs', () => {
  it('reads back the names in the ARNs it writes', () => {
    expect(kinesisStreamNameOf(kinesisStreamArn('eu-west-1', 'clicks'))).toBe('clicks');
    expect(tableNameOf(tableArn('eu-west-1', 'users'))).toBe('users');
    expect(tableNameOfStream(tableStreamArn('eu-west-1', 'users', '2026-01-01T00:00:00.000'))).toBe('users');
    expect(queueNameOf(queueArn('eu-west-1', 'jobs.fifo'))).toBe('jobs.fifo');
    expect(parseFunctionRef(functionArn('eu-west-1', 'echo', '3'))).toEqual({ name: 'echo', qualifier: '3' });
    expect(arnService(queueArn('us-east-1', 'q'))).toBe('sqs');
  });

  it('tells one kind of ARN from another', () => {
    expect(tableNameOf(tableStreamArn('us-east-1', 't', 'x'))).toBeUndefined();
    expect(tableNameOfStream(tableArn('us-east-1', 't'))).toBeUndefined();
    expect(queueNameOf(kinesisStreamArn('us-east-1', 's'))).toBeUndefined();
    expect(isDestinationArn(functionArn('us-east-1', 'f', '$LATEST'))).toBe(true);
    expect(isDestinationArn(functionArn('us-east-1', 'f', 'live'))).toBe(true); // an alias ARN is a destination too
    expect(isFunctionRef(functionArn('us-east-1', 'f', 'live'))).toBe(true);
    expect(isFunctionRef('not a function')).toBe(false);
    expect(parseFunctionRef('123456789012:function:f')).toEqual({ name: 'f' });
  });
});
