/** One message attribute (SQS MessageAttributeValue). */
export interface MessageAttributeValue {
  /** 'String' | 'Number' | 'Binary', optionally with a custom suffix ('String.id'). */
  dataType: string;
  stringValue?: string;
  binaryValue?: Buffer;
}

/** What `send` takes. */
export interface SendInput {
  body: string;
  delaySeconds?: number;
  messageAttributes?: Record<string, MessageAttributeValue>;
  /** FIFO queues: required. */
  groupId?: string;
  /** FIFO queues: required unless the queue has ContentBasedDeduplication. */
  deduplicationId?: string;
}

/** What `send` answers. */
export interface SendResult {
  messageId: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  sequenceNumber?: string;
}

/** A message handed out by `receive`. */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  messageAttributes: Record<string, MessageAttributeValue>;
  /** System attributes: SenderId, SentTimestamp, ApproximateReceiveCount, ApproximateFirstReceiveTimestamp, … */
  attributes: Record<string, string>;
}

/** What `receive` takes. */
export interface ReceiveOptions {
  /** 1–10 (the event source mapping may ask for more, up to 10000). */
  maxMessages?: number;
  /** Long polling: wait up to this many seconds for a message (default: the queue's ReceiveMessageWaitTimeSeconds). */
  waitSeconds?: number;
  /** Overrides the queue's VisibilityTimeout for these messages. */
  visibilityTimeout?: number;
  /** Ends a long poll early with whatever was found (nothing). */
  signal?: AbortSignal;
}

/** Message counts of a queue. */
export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

/** A queue as listed. */
export interface QueueInfo {
  name: string;
  url: string;
  arn: string;
  fifo: boolean;
  attributes: Record<string, string>;
  depth: QueueDepth;
}
