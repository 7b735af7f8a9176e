/** Types of topics and subscriptions (SNS semantics). */

/** The protocols a subscription may deliver by. */
export const PROTOCOLS = ['lambda', 'sqs', 'http', 'https'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** A topic: its name, ARN and the attributes set on it. */
export interface TopicInfo {
  name: string;
  arn: string;
  fifo: boolean;
  /** Attributes set by the user (DisplayName, ContentBasedDeduplication, DeliveryPolicy …). */
  attributes: Record<string, string>;
  createdAt: number;
}

/** A subscription of an endpoint to a topic. */
export interface SubscriptionInfo {
  arn: string;
  topicArn: string;
  protocol: Protocol;
  /** A function ARN, a queue ARN or a URL. */
  endpoint: string;
  /** RawMessageDelivery, FilterPolicy, FilterPolicyScope, RedrivePolicy, DeliveryPolicy as set. */
  attributes: Record<string, string>;
  /** False until an HTTP/HTTPS endpoint confirms. */
  confirmed: boolean;
  /** The confirmation token sent to an HTTP/HTTPS endpoint. */
  token?: string;
}

/** One message attribute (SNS's DataType String, String.Array, Number or Binary). */
export interface TopicMessageAttribute {
  dataType: string;
  stringValue?: string;
  binaryValue?: Buffer;
}
