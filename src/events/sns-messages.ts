/**
 * The JSON shapes SNS delivers, as AWS writes them: the notification envelope (SQS and HTTP
 * endpoints), the Lambda event (`Records[].Sns`) and the subscription confirmation. Messages are not
 * signed: `Signature` and the signing certificate's URL are empty (lambdata has no certificate an
 * endpoint could verify against), so endpoints must not require SNS signatures.
 */
import type { TopicMessageAttribute } from '../storage/topics/index.js';

/** One published message as every subscription sees it (before raw/envelope formatting). */
export interface SnsMessage {
  messageId: string;
  topicArn: string;
  /** The message for this subscription's protocol (MessageStructure json picks it per protocol). */
  message: string;
  subject?: string;
  timestamp: string;
  attributes?: Record<string, TopicMessageAttribute>;
  sequenceNumber?: string;
}

/** The envelope an SQS queue (without raw delivery) or an HTTP endpoint receives. */
export function notificationEnvelope(
  m: SnsMessage,
  subscriptionArn: string,
  endpoint: string,
): Record<string, unknown> {
  const envelope: Record<string, unknown> = { Type: 'Notification', MessageId: m.messageId };
  if (m.sequenceNumber) envelope.SequenceNumber = m.sequenceNumber;
  envelope.TopicArn = m.topicArn;
  if (m.subject !== undefined) envelope.Subject = m.subject;
  envelope.Message = m.message;
  envelope.Timestamp = m.timestamp;
  envelope.SignatureVersion = '1';
  envelope.Signature = '';
  envelope.SigningCertURL = '';
  envelope.UnsubscribeURL = unsubscribeUrl(endpoint, subscriptionArn);
  if (m.attributes && Object.keys(m.attributes).length) envelope.MessageAttributes = envelopeAttributes(m.attributes);
  return envelope;
}

/** The event a subscribed function receives (one record per message, as SNS invokes). */
export function lambdaEvent(m: SnsMessage, subscriptionArn: string, endpoint: string): Record<string, unknown> {
  return lambdaEventOf(compactEvent(m, subscriptionArn, endpoint));
}

/**
 * The event a subscribed function receives, as the compact JSON the delivery queue stores until the
 * invocation runs (`expandLambdaEvent` builds the event's JSON from it): what differs between
 * messages, without the event's fixed fields and URL.
 */
export function storedLambdaEvent(m: SnsMessage, subscriptionArn: string, endpoint: string): string {
  return JSON.stringify(compactEvent(m, subscriptionArn, endpoint));
}

/** The JSON of the event `storedLambdaEvent` stands for. */
export function expandLambdaEvent(stored: string): string {
  return JSON.stringify(lambdaEventOf(JSON.parse(stored) as CompactEvent));
}

/** The SubscriptionConfirmation an HTTP/HTTPS endpoint receives when it is subscribed. */
export function confirmationMessage(
  input: { messageId: string; topicArn: string; token: string; timestamp: string },
  endpoint: string,
): Record<string, unknown> {
  const subscribeUrl = `${base(endpoint)}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(input.topicArn)}&Token=${input.token}`;
  const message = `You have chosen to subscribe to the topic ${input.topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`;
  return {
    Type: 'SubscriptionConfirmation',
    MessageId: input.messageId,
    Token: input.token,
    TopicArn: input.topicArn,
    Message: message,
    SubscribeURL: subscribeUrl,
    Timestamp: input.timestamp,
    SignatureVersion: '1',
    Signature: '',
    SigningCertURL: '',
  };
}

/** `{ name: { Type, Value } }`, binary values in base64, as the envelope and the Lambda event carry them. */
function envelopeAttributes(attributes: Record<string, TopicMessageAttribute>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(attributes)) {
    out[name] = { Type: a.dataType, Value: a.binaryValue ? a.binaryValue.toString('base64') : (a.stringValue ?? '') };
  }
  return out;
}

/** A Lambda event's parts that vary, in order: message id, topic, subject, message, timestamp, subscription, endpoint, attributes. */
type CompactEvent = [string, string, string | null, string, string, string, string, Record<string, unknown>];

function compactEvent(m: SnsMessage, subscriptionArn: string, endpoint: string): CompactEvent {
  const attributes = envelopeAttributes(m.attributes ?? {});
  return [m.messageId, m.topicArn, m.subject ?? null, m.message, m.timestamp, subscriptionArn, endpoint, attributes];
}

function lambdaEventOf([
  messageId,
  topicArn,
  subject,
  message,
  timestamp,
  subscriptionArn,
  endpoint,
  attributes,
]: CompactEvent): Record<string, unknown> {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: topicArn,
          Subject: subject,
          Message: message,
          Timestamp: timestamp,
          SignatureVersion: '1',
          Signature: '',
          SigningCertUrl: '',
          UnsubscribeUrl: unsubscribeUrl(endpoint, subscriptionArn),
          MessageAttributes: attributes,
        },
      },
    ],
  };
}

function unsubscribeUrl(endpoint: string, subscriptionArn: string): string {
  return `${base(endpoint)}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscriptionArn)}`;
}

function base(endpoint: string): string {
  return endpoint.replace(/\/+$/, '');
}
