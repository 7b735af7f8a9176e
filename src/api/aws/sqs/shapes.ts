/** The request shapes of the SQS operations, checked before an operation runs (JSON and query protocol). */
import { InvalidQueueParameter, MissingQueueParameter } from '../../../storage/queues/index.js';
import type { Members, Shape, ShapeFailures } from '../request-shape.js';

const QUEUE = { QueueUrl: 'string' } as const;
const STRINGS: Shape = { list: 'string' };
const STRING_MAP: Shape = { map: 'string' };
const MESSAGE_ATTRIBUTES: Shape = {
  map: { struct: { DataType: 'string', StringValue: 'string', BinaryValue: 'string' } },
};
const MESSAGE = {
  MessageBody: 'string',
  DelaySeconds: 'integer',
  MessageAttributes: MESSAGE_ATTRIBUTES,
  MessageSystemAttributes: 'object',
  MessageGroupId: 'string',
  MessageDeduplicationId: 'string',
} as const;
const RECEIPT = { ReceiptHandle: 'string', VisibilityTimeout: 'integer' } as const;

/** SQS's answer to a wrong-typed member or a body that is not an object, and to a missing one. */
export const sqsFailures: ShapeFailures = {
  type: (message) => new InvalidQueueParameter(message),
  missing: (message) => new MissingQueueParameter(message),
};

/** Request members of each SQS operation (`AmazonSQS.<Action>`, or `Action=` in the query protocol). */
export const operationShapes: Readonly<Record<string, Members>> = {
  CreateQueue: { QueueName: 'string', Attributes: STRING_MAP, tags: STRING_MAP },
  GetQueueUrl: { QueueName: 'string', QueueOwnerAWSAccountId: 'string' },
  ListQueues: { QueueNamePrefix: 'string', MaxResults: 'integer', NextToken: 'string' },
  DeleteQueue: QUEUE,
  PurgeQueue: QUEUE,
  GetQueueAttributes: { ...QUEUE, AttributeNames: STRINGS },
  SetQueueAttributes: { ...QUEUE, Attributes: STRING_MAP },
  SendMessage: { ...QUEUE, ...MESSAGE },
  SendMessageBatch: { ...QUEUE, Entries: { list: { struct: { Id: 'string', ...MESSAGE } } } },
  ReceiveMessage: {
    ...QUEUE,
    MaxNumberOfMessages: 'integer',
    WaitTimeSeconds: 'integer',
    VisibilityTimeout: 'integer',
    AttributeNames: STRINGS,
    MessageSystemAttributeNames: STRINGS,
    MessageAttributeNames: STRINGS,
    ReceiveRequestAttemptId: 'string',
  },
  DeleteMessage: { ...QUEUE, ReceiptHandle: 'string' },
  DeleteMessageBatch: { ...QUEUE, Entries: { list: { struct: { Id: 'string', ReceiptHandle: 'string' } } } },
  ChangeMessageVisibility: { ...QUEUE, ...RECEIPT },
  ChangeMessageVisibilityBatch: { ...QUEUE, Entries: { list: { struct: { Id: 'string', ...RECEIPT } } } },
  ListQueueTags: QUEUE,
  TagQueue: { ...QUEUE, Tags: STRING_MAP },
  UntagQueue: { ...QUEUE, TagKeys: STRINGS },
};
