/** The request shapes of the Kinesis operations, checked before an operation runs (JSON and CBOR alike). */
import { SerializationFailed, ValidationFailed } from '../errors.js';
import type { Members, ShapeFailures } from '../request-shape.js';

const STREAM = { StreamName: 'string', StreamARN: 'string' } as const;
const RECORD = { Data: 'string', PartitionKey: 'string', ExplicitHashKey: 'string' } as const;

/** Kinesis's answer to a wrong-typed member or a body that is not an object, and to a missing one. */
export const kinesisFailures: ShapeFailures = {
  type: (message) => new SerializationFailed(message),
  missing: (message) => new ValidationFailed(message),
};

/** Request members of each Kinesis operation (`Kinesis_20131202.<Action>`). */
export const operationShapes: Readonly<Record<string, Members>> = {
  CreateStream: { StreamName: 'string', ShardCount: 'integer', StreamModeDetails: 'object' },
  DeleteStream: { ...STREAM, EnforceConsumerDeletion: 'boolean' },
  DescribeStream: { ...STREAM, Limit: 'integer', ExclusiveStartShardId: 'string' },
  DescribeStreamSummary: STREAM,
  ListStreams: { Limit: 'integer', ExclusiveStartStreamName: 'string', NextToken: 'string' },
  ListShards: { ...STREAM, NextToken: 'string', ExclusiveStartShardId: 'string', MaxResults: 'integer' },
  PutRecord: { ...STREAM, ...RECORD, SequenceNumberForOrdering: 'string' },
  PutRecords: { ...STREAM, Records: { list: { struct: RECORD } } },
  GetShardIterator: {
    ...STREAM,
    ShardId: 'string',
    ShardIteratorType: 'string',
    StartingSequenceNumber: 'string',
    Timestamp: 'any',
  },
  GetRecords: { ShardIterator: 'string', Limit: 'integer', StreamARN: 'string' },
  IncreaseStreamRetentionPeriod: { ...STREAM, RetentionPeriodHours: 'integer' },
  DecreaseStreamRetentionPeriod: { ...STREAM, RetentionPeriodHours: 'integer' },
  UpdateShardCount: { ...STREAM, TargetShardCount: 'integer', ScalingType: 'string' },
  AddTagsToStream: { ...STREAM, Tags: { map: 'string' } },
  ListTagsForStream: { ...STREAM, Limit: 'integer', ExclusiveStartTagKey: 'string' },
};
