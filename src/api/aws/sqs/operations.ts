import type { Engine } from '../../../engine.js';
import { LambdataError } from '../../../shared/errors.js';
import {
  InvalidQueueParameter,
  type MessageAttributeValue,
  MissingQueueParameter,
  md5OfMessageAttributes,
  type ReceivedMessage,
  type SendInput,
} from '../../../storage/queues/index.js';
import { BatchEntryIdsNotDistinct, EmptyBatchRequest, queryCodeOf, TooManyEntriesInBatchRequest } from './errors.js';

/** An SQS request in the JSON protocol's shape (the query protocol is translated into it). */
export type SqsInput = Record<string, unknown>;

type Operation = (
  engine: Engine,
  input: SqsInput,
  host: string | undefined,
  signal: AbortSignal,
) => Promise<Record<string, unknown>> | Record<string, unknown>;

interface WireAttribute {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: string;
}

const MAX_BATCH = 10;

/** The SQS operations lambdata implements, by action name, over the JSON shapes. */
export const OPERATIONS: Record<string, Operation> = {
  CreateQueue(engine, input, host) {
    const name = requireString(input, 'QueueName');
    engine.queues.createQueue(name, (input.Attributes ?? {}) as Record<string, unknown>);
    return { QueueUrl: urlFor(engine, name, host) };
  },
  GetQueueUrl(engine, input, host) {
    const name = requireString(input, 'QueueName');
    engine.queues.getAttributes(name, ['QueueArn']);
    return { QueueUrl: urlFor(engine, name, host) };
  },
  ListQueues(engine, input, host) {
    const names = engine.queues.listQueues(typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '');
    const max = input.MaxResults === undefined ? 1000 : Number(input.MaxResults);
    const start =
      typeof input.NextToken === 'string' ? Number(Buffer.from(input.NextToken, 'base64url').toString()) : 0;
    const page = names.slice(start, start + max);
    const out: Record<string, unknown> = { QueueUrls: page.map((n) => urlFor(engine, n, host)) };
    if (input.MaxResults !== undefined && start + max < names.length)
      out.NextToken = Buffer.from(String(start + max)).toString('base64url');
    return out;
  },
  DeleteQueue(engine, input) {
    engine.queues.deleteQueue(queueName(engine, input));
    return {};
  },
  PurgeQueue(engine, input) {
    engine.queues.purge(queueName(engine, input));
    return {};
  },
  GetQueueAttributes(engine, input) {
    const names = (input.AttributeNames as string[] | undefined) ?? ['All'];
    const attributes = engine.queues.getAttributes(queueName(engine, input), names.length ? names : ['All']);
    return Object.keys(attributes).length ? { Attributes: attributes } : {};
  },
  SetQueueAttributes(engine, input) {
    engine.queues.setAttributes(queueName(engine, input), (input.Attributes ?? {}) as Record<string, unknown>);
    return {};
  },
  SendMessage(engine, input) {
    const result = engine.queues.send(queueName(engine, input), toSendInput(input));
    return {
      MessageId: result.messageId,
      MD5OfMessageBody: result.md5OfBody,
      ...(result.md5OfMessageAttributes ? { MD5OfMessageAttributes: result.md5OfMessageAttributes } : {}),
      ...(result.sequenceNumber ? { SequenceNumber: result.sequenceNumber } : {}),
    };
  },
  SendMessageBatch(engine, input) {
    const entries = batchEntries(input);
    const inputs: SendInput[] = [];
    const failed: Record<string, unknown>[] = [];
    const ids: string[] = [];
    for (const entry of entries) {
      try {
        inputs.push(toSendInput(entry));
        ids.push(String(entry.Id));
      } catch (error) {
        failed.push(failure(String(entry.Id), error));
      }
    }
    const results = engine.queues.sendBatch(queueName(engine, input), inputs);
    const successful: Record<string, unknown>[] = [];
    results.forEach((r, i) => {
      const id = ids[i] as string;
      if (!r.ok) failed.push(failure(id, r.error));
      else {
        successful.push({
          Id: id,
          MessageId: r.result.messageId,
          MD5OfMessageBody: r.result.md5OfBody,
          ...(r.result.md5OfMessageAttributes ? { MD5OfMessageAttributes: r.result.md5OfMessageAttributes } : {}),
          ...(r.result.sequenceNumber ? { SequenceNumber: r.result.sequenceNumber } : {}),
        });
      }
    });
    return { Successful: successful, Failed: failed };
  },
  async ReceiveMessage(engine, input, _host, signal) {
    const max = input.MaxNumberOfMessages === undefined ? 1 : Number(input.MaxNumberOfMessages);
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw new InvalidQueueParameter(
        `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
      );
    }
    const wait = input.WaitTimeSeconds === undefined ? undefined : Number(input.WaitTimeSeconds);
    if (wait !== undefined && (!Number.isInteger(wait) || wait < 0 || wait > 20)) {
      throw new InvalidQueueParameter(
        `Value ${wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`,
      );
    }
    const messages = await engine.queues.receive(queueName(engine, input), {
      maxMessages: max,
      waitSeconds: wait,
      visibilityTimeout: input.VisibilityTimeout === undefined ? undefined : Number(input.VisibilityTimeout),
      signal,
    });
    const systemNames = [
      ...((input.AttributeNames as string[] | undefined) ?? []),
      ...((input.MessageSystemAttributeNames as string[] | undefined) ?? []),
    ];
    const attributeNames = (input.MessageAttributeNames as string[] | undefined) ?? [];
    return messages.length ? { Messages: messages.map((m) => toWireMessage(m, systemNames, attributeNames)) } : {};
  },
  DeleteMessage(engine, input) {
    engine.queues.deleteMessage(queueName(engine, input), requireString(input, 'ReceiptHandle'));
    return {};
  },
  DeleteMessageBatch(engine, input) {
    const name = queueName(engine, input);
    return eachEntry(input, (entry) => engine.queues.deleteMessage(name, requireString(entry, 'ReceiptHandle')));
  },
  ChangeMessageVisibility(engine, input) {
    engine.queues.changeVisibility(
      queueName(engine, input),
      requireString(input, 'ReceiptHandle'),
      Number(input.VisibilityTimeout),
    );
    return {};
  },
  ChangeMessageVisibilityBatch(engine, input) {
    const name = queueName(engine, input);
    return eachEntry(input, (entry) =>
      engine.queues.changeVisibility(name, requireString(entry, 'ReceiptHandle'), Number(entry.VisibilityTimeout)),
    );
  },
  ListQueueTags() {
    return { Tags: {} };
  },
  TagQueue() {
    return {};
  },
  UntagQueue() {
    return {};
  },
};

/** The queue URL to answer with: the request's own host when there is one, so clients reach it back. */
function urlFor(engine: Engine, name: string, host: string | undefined): string {
  return host ? `http://${host}/000000000000/${name}` : engine.queues.queueUrl(name);
}

function queueName(engine: Engine, input: SqsInput): string {
  return engine.queues.nameOf(requireString(input, 'QueueUrl'));
}

function requireString(input: SqsInput, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '')
    throw new MissingQueueParameter(`The request must contain the parameter ${name}.`);
  return value;
}

function toSendInput(input: SqsInput): SendInput {
  const body = input.MessageBody;
  if (typeof body !== 'string') throw new MissingQueueParameter('The request must contain the parameter MessageBody.');
  const attrs = input.MessageAttributes as Record<string, WireAttribute> | undefined;
  let messageAttributes: Record<string, MessageAttributeValue> | undefined;
  if (attrs && Object.keys(attrs).length) {
    messageAttributes = {};
    for (const [name, v] of Object.entries(attrs)) {
      messageAttributes[name] = {
        dataType: String(v.DataType ?? ''),
        ...(v.StringValue !== undefined ? { stringValue: String(v.StringValue) } : {}),
        ...(v.BinaryValue !== undefined ? { binaryValue: Buffer.from(String(v.BinaryValue), 'base64') } : {}),
      };
    }
  }
  return {
    body,
    delaySeconds: input.DelaySeconds === undefined ? undefined : Number(input.DelaySeconds),
    messageAttributes,
    groupId: input.MessageGroupId as string | undefined,
    deduplicationId: input.MessageDeduplicationId as string | undefined,
  };
}

function toWireMessage(m: ReceivedMessage, systemNames: string[], attributeNames: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {
    MessageId: m.messageId,
    ReceiptHandle: m.receiptHandle,
    MD5OfBody: m.md5OfBody,
    Body: m.body,
  };
  const all = systemNames.includes('All');
  const attributes = Object.fromEntries(Object.entries(m.attributes).filter(([k]) => all || systemNames.includes(k)));
  if (Object.keys(attributes).length) out.Attributes = attributes;
  const selected = Object.entries(m.messageAttributes).filter(([k]) =>
    attributeNames.some(
      (p) => p === 'All' || p === '.*' || p === k || (p.endsWith('.*') && k.startsWith(p.slice(0, -1))),
    ),
  );
  if (selected.length) {
    // AWS digests the attributes it returns, not all the message has.
    out.MD5OfMessageAttributes = md5OfMessageAttributes(Object.fromEntries(selected));
    out.MessageAttributes = Object.fromEntries(
      selected.map(([k, v]) => [
        k,
        {
          DataType: v.dataType,
          ...(v.stringValue !== undefined ? { StringValue: v.stringValue } : {}),
          ...(v.binaryValue !== undefined ? { BinaryValue: v.binaryValue.toString('base64') } : {}),
        },
      ]),
    );
  }
  return out;
}

function batchEntries(input: SqsInput): SqsInput[] {
  const entries = (input.Entries as SqsInput[] | undefined) ?? [];
  if (entries.length === 0) throw new EmptyBatchRequest();
  if (entries.length > MAX_BATCH) {
    throw new TooManyEntriesInBatchRequest(MAX_BATCH, entries.length);
  }
  const ids = new Set(entries.map((e) => e.Id));
  if (ids.size !== entries.length) {
    throw new BatchEntryIdsNotDistinct();
  }
  return entries;
}

function eachEntry(input: SqsInput, run: (entry: SqsInput) => void): Record<string, unknown> {
  const successful: Record<string, unknown>[] = [];
  const failed: Record<string, unknown>[] = [];
  for (const entry of batchEntries(input)) {
    try {
      run(entry);
      successful.push({ Id: entry.Id });
    } catch (error) {
      failed.push(failure(String(entry.Id), error));
    }
  }
  return { Successful: successful, Failed: failed };
}

function failure(id: string, error: unknown): Record<string, unknown> {
  if (!(error instanceof LambdataError)) throw error;
  return {
    Id: id,
    SenderFault: true,
    Code: queryCodeOf(error.code),
    Message: error.message,
  };
}
