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

const QUEUE_NAME = /^[a-zA-Z0-9_-]{1,80}$/;
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

/**
 * Checks a new queue's name against its FifoQueue attribute and returns the attributes to store.
 * @throws InvalidParameterValue for a bad name or FIFO-only attributes; InvalidAttributeName.
 */
export function newQueueAttributes(name: string, attributes: Record<string, unknown>): Record<string, string> {
  const fifo = name.endsWith('.fifo');
  const base = fifo ? name.slice(0, -5) : name;
  if (!QUEUE_NAME.test(base)) {
    throw new InvalidQueueParameter(
      'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
    );
  }
  const attrs = validateAttributes(attributes);
  if ((attrs.FifoQueue === 'true') !== fifo) {
    if (attrs.FifoQueue === 'true' || fifo) {
      throw new InvalidQueueParameter(
        'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix.',
      );
    }
  }
  if (!fifo && attrs.ContentBasedDeduplication !== undefined) {
    throw new InvalidQueueParameter('ContentBasedDeduplication is only valid for FIFO queues');
  }
  if (fifo) attrs.FifoQueue = 'true';
  return attrs;
}

/** True when every attribute of `attrs` equals the stored one (or its default): creating again is quiet. */
export function matchesStored(stored: Record<string, string>, attrs: Record<string, string>): boolean {
  const defaults = SETTABLE_DEFAULTS as Record<string, string | undefined>;
  return Object.entries(attrs).every(([key, value]) => (stored[key] ?? defaults[key]) === value);
}

/** The attributes `names` asks for out of `all` ('All' for every one). @throws InvalidParameterValue for an unknown name */
export function selectAttributes(all: Record<string, string>, names: string[]): Record<string, string> {
  if (names.includes('All')) return all;
  const out: Record<string, string> = {};
  for (const key of names) {
    if (!(key in SETTABLE_DEFAULTS) && !(COMPUTED_ATTRIBUTES as readonly string[]).includes(key)) {
      throw new InvalidQueueParameter(`Unknown Attribute ${key}.`);
    }
    if (all[key] !== undefined) out[key] = all[key];
  }
  return out;
}
