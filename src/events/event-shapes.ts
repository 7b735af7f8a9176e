import { randomUUID } from 'node:crypto';
import { roleArn } from '../shared/arn.js';
import { ACCOUNT_ID } from '../shared/ids.js';
import type { ReceivedMessage } from '../storage/queues/index.js';
import type { StreamRecordRef } from '../storage/streams/index.js';
import type { TableChange } from '../storage/tables/index.js';

/** Where a batch came from, as the event records name it. */
export interface SourceInfo {
  eventSourceArn: string;
  region: string;
  functionArn: string;
}

/** A Kinesis event exactly as AWS delivers it to a function. */
export function kinesisEvent(records: StreamRecordRef[], source: SourceInfo): { Records: unknown[] } {
  return {
    Records: records.map((r) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.partitionKey,
        sequenceNumber: r.sequenceNumber,
        data: r.data.toString('base64'),
        approximateArrivalTimestamp: r.approximateArrivalTimestamp / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${r.shardId}:${r.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: roleArn('lambdata'),
      awsRegion: source.region,
      eventSourceARN: source.eventSourceArn,
    })),
  };
}

/** A DynamoDB stream event exactly as AWS delivers it; images follow the stream's view type. */
export function dynamodbEvent(changes: TableChange[], viewType: string, source: SourceInfo): { Records: unknown[] } {
  const withNew = viewType === 'NEW_IMAGE' || viewType === 'NEW_AND_OLD_IMAGES';
  const withOld = viewType === 'OLD_IMAGE' || viewType === 'NEW_AND_OLD_IMAGES';
  return {
    Records: changes.map((c) => ({
      eventID: eventIdOf(c.sequenceNumber),
      eventName: c.eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: source.region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(c.approximateCreationDateTime / 1000),
        Keys: c.keys,
        ...(withNew && c.newImage ? { NewImage: c.newImage } : {}),
        ...(withOld && c.oldImage ? { OldImage: c.oldImage } : {}),
        SequenceNumber: c.sequenceNumber,
        SizeBytes: c.sizeBytes,
        StreamViewType: viewType,
      },
      ...(c.userIdentity ? { userIdentity: c.userIdentity } : {}),
      eventSourceARN: source.eventSourceArn,
    })),
  };
}

/** An SQS event exactly as AWS delivers it to a function. */
export function sqsEvent(messages: ReceivedMessage[], source: SourceInfo): { Records: unknown[] } {
  return {
    Records: messages.map((m) => ({
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: m.attributes,
      messageAttributes: Object.fromEntries(
        Object.entries(m.messageAttributes).map(([name, v]) => [
          name,
          {
            ...(v.stringValue !== undefined ? { stringValue: v.stringValue } : {}),
            ...(v.binaryValue !== undefined ? { binaryValue: v.binaryValue.toString('base64') } : {}),
            stringListValues: [],
            binaryListValues: [],
            dataType: v.dataType,
          },
        ]),
      ),
      md5OfBody: m.md5OfBody,
      ...(m.md5OfMessageAttributes ? { md5OfMessageAttributes: m.md5OfMessageAttributes } : {}),
      eventSource: 'aws:sqs',
      eventSourceARN: source.eventSourceArn,
      awsRegion: source.region,
    })),
  };
}

/** An EventBridge scheduled event as AWS delivers it to a rule's target. */
export function scheduledEvent(ruleArn: string, region: string, time: number): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT_ID,
    time: new Date(Math.floor(time / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region,
    resources: [ruleArn],
    detail: {},
  };
}

/** A stable 32-hex-digit event id derived from a change's sequence number. */
function eventIdOf(sequenceNumber: string): string {
  return BigInt(sequenceNumber).toString(16).padStart(32, '0');
}
