/**
 * A Publish request checked as SNS checks it: the message (and MessageStructure json), subject,
 * message attributes, and FIFO group and deduplication ids.
 */
import { createHash } from 'node:crypto';
import {
  InvalidTopicParameter,
  InvalidTopicParameterValue,
  type TopicInfo,
  type TopicMessageAttribute,
} from '../storage/topics/index.js';

/** What a producer publishes to a topic. */
export interface PublishInput {
  topicArn: string;
  message: string;
  subject?: string;
  /** 'json': `message` is a JSON object with a `default` message and one per protocol. */
  messageStructure?: string;
  attributes?: Record<string, TopicMessageAttribute>;
  /** FIFO topics. */
  groupId?: string;
  deduplicationId?: string;
}

/** A checked publish: the message per protocol and the FIFO deduplication id. */
export interface CheckedPublish {
  /** The message a protocol receives (`default` unless MessageStructure json names the protocol). */
  messageFor(protocol: string): string;
  deduplicationId?: string;
}

const MAX_MESSAGE_BYTES = 262_144;
const MAX_ATTRIBUTES = 10;
const DATA_TYPE = /^(String|Number|Binary|String\.Array)(\..+)?$/;

/** Checks a publish against its topic. @throws InvalidParameter, InvalidParameterValue */
export function checkPublish(topic: TopicInfo, input: PublishInput): CheckedPublish {
  if (typeof input.message !== 'string' || input.message.length === 0) {
    throw new InvalidTopicParameter('Invalid parameter: Empty message');
  }
  if (messageBytes(input) > MAX_MESSAGE_BYTES) throw new InvalidTopicParameter('Invalid parameter: Message too long');
  if (
    input.subject !== undefined &&
    (input.subject === '' || input.subject.length > 100 || /[\r\n]/.test(input.subject))
  ) {
    throw new InvalidTopicParameter('Invalid parameter: Subject');
  }
  checkAttributes(input.attributes ?? {});
  const checked: CheckedPublish = { messageFor: () => input.message };
  if (input.messageStructure !== undefined) {
    if (input.messageStructure !== 'json') throw new InvalidTopicParameter('Invalid parameter: MessageStructure');
    const messages = parseStructure(input.message);
    checked.messageFor = (protocol) => messages[protocol] ?? (messages.default as string);
  }
  if (topic.fifo) {
    if (!input.groupId) {
      throw new InvalidTopicParameter('Invalid parameter: The MessageGroupId parameter is required for FIFO topics');
    }
    if (input.deduplicationId) checked.deduplicationId = input.deduplicationId;
    else if (topic.attributes.ContentBasedDeduplication === 'true') {
      checked.deduplicationId = createHash('sha256').update(input.message).digest('hex');
    } else {
      throw new InvalidTopicParameter(
        'Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
      );
    }
  } else if (input.deduplicationId !== undefined) {
    throw new InvalidTopicParameter(
      'Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type',
    );
  }
  return checked;
}

/**
 * The values a filter policy of scope MessageAttributes sees: strings, numbers, and String.Array
 * attributes as arrays (Binary attributes are not matched).
 */
export function attributeValues(attributes: Record<string, TopicMessageAttribute>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(attributes)) {
    if (a.dataType.startsWith('Number')) values[name] = Number(a.stringValue);
    else if (a.dataType.startsWith('String.Array')) values[name] = JSON.parse(a.stringValue ?? '[]') as unknown;
    else if (a.dataType.startsWith('String')) values[name] = a.stringValue;
  }
  return values;
}

function parseStructure(message: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch (err) {
    throw new InvalidTopicParameter('Invalid parameter: Message Structure - JSON message body failed to parse', {
      cause: err,
    });
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    typeof (parsed as { default?: unknown }).default !== 'string'
  ) {
    throw new InvalidTopicParameter('Invalid parameter: Message Structure - No default entry in JSON message body');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
  return out;
}

function checkAttributes(attributes: Record<string, TopicMessageAttribute>): void {
  const names = Object.keys(attributes);
  if (names.length > MAX_ATTRIBUTES) {
    throw new InvalidTopicParameterValue(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`,
    );
  }
  for (const [name, a] of Object.entries(attributes)) {
    if (!DATA_TYPE.test(a.dataType ?? '')) {
      throw new InvalidTopicParameterValue(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const binary = a.dataType.startsWith('Binary');
    if (binary ? !a.binaryValue?.length : !a.stringValue) {
      throw new InvalidTopicParameterValue(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${a.dataType}'.`,
      );
    }
    if (a.dataType.startsWith('Number') && !Number.isFinite(Number(a.stringValue))) {
      throw new InvalidTopicParameterValue(
        `An invalid or out-of-range value '${a.stringValue}' was supplied for the message attribute '${name}' of type 'Number'.`,
      );
    }
    if (a.dataType.startsWith('String.Array') && !isJsonArray(a.stringValue as string)) {
      throw new InvalidTopicParameter(`Invalid parameter: MessageAttributes: '${name}' must be a JSON array`);
    }
  }
}

function isJsonArray(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch (err) {
    if (err instanceof SyntaxError) return false;
    throw err;
  }
}

function messageBytes(input: PublishInput): number {
  let bytes = Buffer.byteLength(input.message);
  for (const [name, a] of Object.entries(input.attributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(a.dataType ?? '');
    bytes += a.binaryValue ? a.binaryValue.length : Buffer.byteLength(a.stringValue ?? '');
  }
  return bytes;
}
