/** Topic and subscription attributes: which may be set, and their checks. */

import { InvalidTopicParameter } from './errors.js';
import { compileFilterPolicy, type FilterPolicyScope } from './filter-policy.js';

/** Topic attributes a user may set (CreateTopic, SetTopicAttributes). */
const TOPIC_SETTABLE = new Set([
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'KmsMasterKeyId',
  'SignatureVersion',
  'TracingConfig',
  'FifoTopic',
  'ContentBasedDeduplication',
  'ArchivePolicy',
  'DataProtectionPolicy',
]);

/** Subscription attributes a user may set (Subscribe, SetSubscriptionAttributes). */
const SUBSCRIPTION_SETTABLE = new Set([
  'DeliveryPolicy',
  'FilterPolicy',
  'FilterPolicyScope',
  'RawMessageDelivery',
  'RedrivePolicy',
  'SubscriptionRoleArn',
]);

const QUEUE_ARN = /^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/;

/** Checks topic attributes; throws InvalidParameter naming the bad one. */
export function checkTopicAttributes(attributes: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(attributes)) {
    if (!TOPIC_SETTABLE.has(name)) throw new InvalidTopicParameter(`Invalid parameter: AttributeName: ${name}`);
    if ((name === 'FifoTopic' || name === 'ContentBasedDeduplication') && !/^(true|false)$/i.test(value)) {
      throw new InvalidTopicParameter(`Invalid parameter: Attributes Reason: ${name} must be true or false`);
    }
    if (name === 'DeliveryPolicy' || name === 'Policy') parseJson(name, value);
  }
  return attributes;
}

/** Checks subscription attributes (given the ones already set); throws InvalidParameter. */
export function checkSubscriptionAttributes(
  attributes: Record<string, string>,
  current: Record<string, string> = {},
): Record<string, string> {
  for (const [name, value] of Object.entries(attributes)) {
    if (!SUBSCRIPTION_SETTABLE.has(name)) throw new InvalidTopicParameter(`Invalid parameter: AttributeName: ${name}`);
    if (name === 'RawMessageDelivery' && !/^(true|false)$/i.test(value)) {
      throw new InvalidTopicParameter('Invalid parameter: RawMessageDelivery: must be true or false');
    }
    if (name === 'FilterPolicyScope' && value !== 'MessageAttributes' && value !== 'MessageBody') {
      throw new InvalidTopicParameter(
        'Invalid parameter: FilterPolicyScope: Invalid value [' +
          value +
          ']. Please use either MessageBody or MessageAttributes',
      );
    }
    if (name === 'RedrivePolicy' && value !== '') {
      const policy = parseJson(name, value) as { deadLetterTargetArn?: unknown };
      if (typeof policy.deadLetterTargetArn !== 'string' || !QUEUE_ARN.test(policy.deadLetterTargetArn)) {
        throw new InvalidTopicParameter(
          'Invalid parameter: RedrivePolicy: deadLetterTargetArn is not an SQS queue ARN',
        );
      }
    }
    if (name === 'DeliveryPolicy') parseJson(name, value);
  }
  const merged = { ...current, ...attributes };
  if (merged.FilterPolicy) compileFilterPolicy(merged.FilterPolicy, scopeOf(merged));
  return attributes;
}

/** The scope a subscription's filter policy applies to (MessageAttributes by default). */
export function scopeOf(attributes: Record<string, string>): FilterPolicyScope {
  return attributes.FilterPolicyScope === 'MessageBody' ? 'MessageBody' : 'MessageAttributes';
}

function parseJson(name: string, value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch (err) {
    throw new InvalidTopicParameter(`Invalid parameter: ${name}: failed to parse JSON.`, { cause: err });
  }
}
