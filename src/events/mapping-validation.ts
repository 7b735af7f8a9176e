import { arnService } from '../shared/arn.js';
import { InvalidParameterValue } from '../shared/errors.js';
import type { MappingConfig } from './mapping-types.js';

type Draft = Omit<
  MappingConfig,
  | 'batchSize'
  | 'maximumBatchingWindowInSeconds'
  | 'parallelizationFactor'
  | 'maximumRetryAttempts'
  | 'maximumRecordAgeInSeconds'
  | 'bisectBatchOnFunctionError'
  | 'reportBatchItemFailures'
  | 'tumblingWindowInSeconds'
> &
  Partial<MappingConfig>;

/**
 * Fills defaults and checks the options of a mapping as Lambda does for its source type.
 * @throws InvalidParameterValueException naming the bad option.
 */
export function validateMapping(draft: Draft): MappingConfig {
  const stream = draft.sourceType !== 'sqs';
  const config: MappingConfig = {
    ...draft,
    batchSize: draft.batchSize ?? (stream ? 100 : 10),
    maximumBatchingWindowInSeconds: draft.maximumBatchingWindowInSeconds ?? 0,
    parallelizationFactor: draft.parallelizationFactor ?? 1,
    maximumRetryAttempts: draft.maximumRetryAttempts ?? -1,
    maximumRecordAgeInSeconds: draft.maximumRecordAgeInSeconds ?? -1,
    bisectBatchOnFunctionError: draft.bisectBatchOnFunctionError ?? false,
    reportBatchItemFailures: draft.reportBatchItemFailures ?? false,
    tumblingWindowInSeconds: draft.tumblingWindowInSeconds ?? 0,
  };
  integer('BatchSize', config.batchSize, 1, 10_000);
  integer('MaximumBatchingWindowInSeconds', config.maximumBatchingWindowInSeconds, 0, 300);
  if (!stream && config.batchSize > 10 && config.maximumBatchingWindowInSeconds < 1) {
    throw new InvalidParameterValue(
      'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10',
    );
  }
  if (stream) {
    if (!config.startingPosition)
      throw new InvalidParameterValue('StartingPosition is required for stream event sources');
    if (!['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'].includes(config.startingPosition)) {
      throw new InvalidParameterValue(`Unsupported StartingPosition: ${config.startingPosition}`);
    }
    if (config.startingPosition === 'AT_TIMESTAMP' && config.startingPositionTimestamp === undefined) {
      throw new InvalidParameterValue('StartingPositionTimestamp is required with AT_TIMESTAMP');
    }
    integer('ParallelizationFactor', config.parallelizationFactor, 1, 10);
    integer('MaximumRetryAttempts', config.maximumRetryAttempts, -1, 10_000);
    if (config.maximumRecordAgeInSeconds !== -1)
      integer('MaximumRecordAgeInSeconds', config.maximumRecordAgeInSeconds, 60, 604_800);
    integer('TumblingWindowInSeconds', config.tumblingWindowInSeconds, 0, 900);
  } else {
    if (config.tumblingWindowInSeconds !== 0)
      throw new InvalidParameterValue('TumblingWindowInSeconds is only valid for stream event sources');
    if (config.startingPosition) throw new InvalidParameterValue('StartingPosition is not valid for SQS event sources');
    if (config.maximumConcurrency !== undefined)
      integer('ScalingConfig.MaximumConcurrency', config.maximumConcurrency, 2, 1000);
  }
  if (config.onFailureDestination && !['sqs', 'lambda'].includes(arnService(config.onFailureDestination) ?? '')) {
    throw new InvalidParameterValue(
      `Unsupported destination: ${config.onFailureDestination} (use an SQS queue or function ARN)`,
    );
  }
  return config;
}

function integer(name: string, value: number, lo: number, hi: number): void {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new InvalidParameterValue(`${name} must be an integer from ${lo} to ${hi} (got ${value})`);
  }
}
