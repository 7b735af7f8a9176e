import { InvalidAttributeName, InvalidQueueParameter } from './errors.js';

/** Queue attributes a user may set, with SQS defaults. */
export const SETTABLE_DEFAULTS = {
  DelaySeconds: '0',
  MaximumMessageSize: '262144',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  RedrivePolicy: undefined,
  RedriveAllowPolicy: undefined,
  Policy: undefined,
  KmsMasterKeyId: undefined,
  KmsDataKeyReusePeriodSeconds: undefined,
  SqsManagedSseEnabled: undefined,
  FifoQueue: undefined,
  ContentBasedDeduplication: undefined,
  DeduplicationScope: undefined,
  FifoThroughputLimit: undefined,
} as const;

/** Attributes SQS computes. */
export const COMPUTED_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
] as const;

const RANGES: Record<string, [number, number]> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 262144],
  MessageRetentionPeriod: [60, 1209600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43200],
};

/** The redrive policy of a queue, parsed. */
export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

/**
 * Validates user-set attributes and returns them as strings.
 * @throws InvalidAttributeName for unknown names, InvalidParameterValue for bad values.
 */
export function validateAttributes(attributes: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(attributes)) {
    if (!(name in SETTABLE_DEFAULTS)) throw new InvalidAttributeName(name);
    const value = String(raw);
    const range = RANGES[name];
    if (range) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < range[0] || n > range[1]) {
        throw new InvalidQueueParameter(
          `Invalid value for the parameter ${name}: must be an integer from ${range[0]} to ${range[1]}.`,
        );
      }
    }
    if (name === 'RedrivePolicy' && value !== '') parseRedrivePolicy(value);
    out[name] = value;
  }
  return out;
}

/** Parses a RedrivePolicy attribute (maxReceiveCount may be a number or a string). */
export function parseRedrivePolicy(value: string | undefined): RedrivePolicy | undefined {
  if (!value) return undefined;
  let parsed: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new InvalidQueueParameter(
      `Value ${value} for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.`,
      { cause: err },
    );
  }
  const maxReceiveCount = Number(parsed.maxReceiveCount);
  if (
    typeof parsed.deadLetterTargetArn !== 'string' ||
    !Number.isInteger(maxReceiveCount) ||
    maxReceiveCount < 1 ||
    maxReceiveCount > 1000
  ) {
    throw new InvalidQueueParameter(
      `Value ${value} for parameter RedrivePolicy is invalid. Reason: Redrive policy needs deadLetterTargetArn and maxReceiveCount from 1 to 1000.`,
    );
  }
  return { deadLetterTargetArn: parsed.deadLetterTargetArn, maxReceiveCount };
}
