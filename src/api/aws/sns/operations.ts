import type { Engine } from '../../../engine.js';
import type { PublishInput } from '../../../events/index.js';
import { ACCOUNT_ID } from '../../../shared/ids.js';
import {
  InvalidTopicParameter,
  type SubscriptionInfo,
  type TopicMessageAttribute,
} from '../../../storage/topics/index.js';
import { BatchEntryIdsNotDistinct, EmptyBatchRequest, TooManyEntriesInBatchRequest } from './errors.js';
import { entries, members, type SnsInput } from './query.js';

type Operation = (engine: Engine, input: SnsInput) => Record<string, unknown> | Promise<Record<string, unknown>>;

interface WireAttribute {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: string;
}

const PAGE = 100;
const MAX_BATCH = 10;

/** The SNS operations lambdata implements, by action name; each answers its `<Action>Result` members. */
export const OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateTopic(engine, input) {
    const topic = engine.topics.createTopic(
      requireString(input, 'Name'),
      stringMap(input.Attributes),
      tagMap(input.Tags),
    );
    return { TopicArn: topic.arn };
  },
  DeleteTopic(engine, input) {
    engine.topics.deleteTopic(requireString(input, 'TopicArn'));
    return {};
  },
  ListTopics(engine, input) {
    const { page, next } = paginate(engine.topics.listTopics(), input.NextToken);
    return { Topics: members(page.map((t) => ({ TopicArn: t.arn }))), ...next };
  },
  GetTopicAttributes(engine, input) {
    return { Attributes: entries(engine.topics.topicAttributes(requireString(input, 'TopicArn'))) };
  },
  SetTopicAttributes(engine, input) {
    engine.topics.setTopicAttribute(
      requireString(input, 'TopicArn'),
      requireString(input, 'AttributeName'),
      String(input.AttributeValue ?? ''),
    );
    return {};
  },
  Subscribe(engine, input) {
    const sub = engine.topicPublisher.subscribe(
      requireString(input, 'TopicArn'),
      requireString(input, 'Protocol'),
      requireString(input, 'Endpoint'),
      stringMap(input.Attributes),
    );
    const showArn = sub.confirmed || input.ReturnSubscriptionArn === 'true';
    return { SubscriptionArn: showArn ? sub.arn : 'pending confirmation' };
  },
  ConfirmSubscription(engine, input) {
    const sub = engine.topics.confirm(requireString(input, 'TopicArn'), requireString(input, 'Token'));
    return { SubscriptionArn: sub.arn };
  },
  Unsubscribe(engine, input) {
    engine.topics.unsubscribe(requireString(input, 'SubscriptionArn'));
    return {};
  },
  ListSubscriptions(engine, input) {
    const { page, next } = paginate(engine.topics.listSubscriptions(), input.NextToken);
    return { Subscriptions: members(page.map(subscriptionSummary)), ...next };
  },
  ListSubscriptionsByTopic(engine, input) {
    const subs = engine.topics.listSubscriptions(requireString(input, 'TopicArn'));
    const { page, next } = paginate(subs, input.NextToken);
    return { Subscriptions: members(page.map(subscriptionSummary)), ...next };
  },
  GetSubscriptionAttributes(engine, input) {
    return { Attributes: entries(engine.topics.subscriptionAttributes(requireString(input, 'SubscriptionArn'))) };
  },
  SetSubscriptionAttributes(engine, input) {
    engine.topics.setSubscriptionAttribute(
      requireString(input, 'SubscriptionArn'),
      requireString(input, 'AttributeName'),
      String(input.AttributeValue ?? ''),
    );
    return {};
  },
  async Publish(engine, input) {
    if (input.PhoneNumber !== undefined) {
      throw new InvalidTopicParameter('Invalid parameter: PhoneNumber Reason: SMS delivery is not supported');
    }
    const topicArn = input.TopicArn ?? input.TargetArn;
    if (typeof topicArn !== 'string' || topicArn === '') {
      throw new InvalidTopicParameter(
        'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
      );
    }
    const result = await engine.topicPublisher.publish(toPublishInput(topicArn, input));
    return { MessageId: result.messageId, ...(result.sequenceNumber ? { SequenceNumber: result.sequenceNumber } : {}) };
  },
  async PublishBatch(engine, input) {
    const topicArn = requireString(input, 'TopicArn');
    const list = Array.isArray(input.PublishBatchRequestEntries)
      ? (input.PublishBatchRequestEntries as SnsInput[])
      : [];
    if (list.length === 0) throw new EmptyBatchRequest();
    if (list.length > MAX_BATCH) throw new TooManyEntriesInBatchRequest();
    if (new Set(list.map((e) => e.Id)).size !== list.length) throw new BatchEntryIdsNotDistinct();
    const outcomes = await engine.topicPublisher.publishBatch(
      topicArn,
      list.map((entry) => ({ ...toPublishInput(topicArn, entry), id: requireString(entry, 'Id') })),
    );
    const successful = outcomes.flatMap((o) =>
      o.ok
        ? [
            {
              Id: o.id,
              MessageId: o.result.messageId,
              ...(o.result.sequenceNumber ? { SequenceNumber: o.result.sequenceNumber } : {}),
            },
          ]
        : [],
    );
    const failed = outcomes.flatMap((o) =>
      o.ok ? [] : [{ Id: o.id, Code: o.error.code, Message: o.error.message, SenderFault: 'true' }],
    );
    return { Successful: members(successful), Failed: members(failed) };
  },
  ListTagsForResource(engine, input) {
    const tags = engine.topics.tags(requireString(input, 'ResourceArn'));
    return { Tags: members(Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))) };
  },
  TagResource(engine, input) {
    engine.topics.tag(requireString(input, 'ResourceArn'), tagMap(input.Tags));
    return {};
  },
  UntagResource(engine, input) {
    const keys = Array.isArray(input.TagKeys) ? input.TagKeys.map(String) : [];
    engine.topics.untag(requireString(input, 'ResourceArn'), keys);
    return {};
  },
};

function toPublishInput(topicArn: string, input: SnsInput): PublishInput {
  const out: PublishInput = { topicArn, message: typeof input.Message === 'string' ? input.Message : '' };
  if (typeof input.Subject === 'string') out.subject = input.Subject;
  if (typeof input.MessageStructure === 'string') out.messageStructure = input.MessageStructure;
  if (typeof input.MessageGroupId === 'string') out.groupId = input.MessageGroupId;
  if (typeof input.MessageDeduplicationId === 'string') out.deduplicationId = input.MessageDeduplicationId;
  const attributes = input.MessageAttributes;
  if (typeof attributes === 'object' && attributes !== null) {
    const parsed: Record<string, TopicMessageAttribute> = {};
    for (const [name, value] of Object.entries(attributes as Record<string, WireAttribute>)) {
      const a: TopicMessageAttribute = { dataType: String(value?.DataType ?? '') };
      if (value?.StringValue !== undefined) a.stringValue = String(value.StringValue);
      if (value?.BinaryValue !== undefined) a.binaryValue = Buffer.from(String(value.BinaryValue), 'base64');
      parsed[name] = a;
    }
    out.attributes = parsed;
  }
  return out;
}

function subscriptionSummary(sub: SubscriptionInfo): Record<string, string> {
  return {
    SubscriptionArn: sub.confirmed ? sub.arn : 'PendingConfirmation',
    Owner: ACCOUNT_ID,
    Protocol: sub.protocol,
    Endpoint: sub.endpoint,
    TopicArn: sub.topicArn,
  };
}

/** A page of 100 and the token of the next (its offset). */
function paginate<T>(items: T[], token: unknown): { page: T[]; next: { NextToken?: string } } {
  let start = 0;
  if (token !== undefined && token !== '') {
    start = Number(Buffer.from(String(token), 'base64url').toString());
    if (!Number.isInteger(start) || start < 0) throw new InvalidTopicParameter('Invalid parameter: NextToken');
  }
  const page = items.slice(start, start + PAGE);
  const next =
    start + PAGE < items.length ? { NextToken: Buffer.from(String(start + PAGE)).toString('base64url') } : {};
  return { page, next };
}

function requireString(input: SnsInput, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '') {
    throw new InvalidTopicParameter(`Invalid parameter: ${name} Reason: no value for required parameter`);
  }
  return value;
}

function stringMap(value: unknown): Record<string, string> {
  if (value === undefined || value === '') return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidTopicParameter('Invalid parameter: Attributes');
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v ?? '')]));
}

function tagMap(value: unknown): Record<string, string> {
  if (value === undefined || value === '') return {};
  if (!Array.isArray(value)) throw new InvalidTopicParameter('Invalid parameter: Tags');
  const out: Record<string, string> = {};
  for (const tag of value as Array<{ Key?: unknown; Value?: unknown }>) {
    if (typeof tag?.Key !== 'string' || tag.Key === '')
      throw new InvalidTopicParameter('Invalid parameter: Tags Reason: a tag needs a Key');
    out[tag.Key] = String(tag.Value ?? '');
  }
  return out;
}
