import type { Engine } from '../../../engine.js';
import { kinesisStreamNameOf } from '../../../shared/arn.js';
import { InvalidStreamArgument, type ShardDescription, type ShardPosition } from '../../../storage/streams/index.js';
import { decodeIterator, encodeIterator } from './iterators.js';

/** A Kinesis operation: JSON request in, JSON response out (a value to serialize, or JsonText). */
export type KinesisOperation = (engine: Engine, input: Record<string, unknown>, now: number) => unknown;

/** A response already serialized as JSON, sent as it is. */
export class JsonText {
  constructor(readonly text: string) {}
}

const STREAM_MODE = { StreamMode: 'PROVISIONED' } as const;

/** The Kinesis operations lambdata answers, by X-Amz-Target action name. */
export const operations: Record<string, KinesisOperation> = {
  CreateStream(engine, input) {
    engine.streams.createStream(requireString(input, 'StreamName'), {
      shardCount: input.ShardCount === undefined ? 1 : Number(input.ShardCount),
    });
    return {};
  },
  DeleteStream(engine, input) {
    engine.streams.deleteStream(streamName(input));
    return {};
  },
  DescribeStream(engine, input) {
    const d = engine.streams.describeStream(streamName(input));
    return {
      StreamDescription: {
        StreamName: d.streamName,
        StreamARN: d.streamArn,
        StreamStatus: d.status,
        StreamModeDetails: STREAM_MODE,
        Shards: d.shards.map(wireShard),
        HasMoreShards: false,
        RetentionPeriodHours: d.retentionPeriodHours,
        StreamCreationTimestamp: d.createdAt / 1000,
        EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
        EncryptionType: 'NONE',
      },
    };
  },
  DescribeStreamSummary(engine, input) {
    const d = engine.streams.describeStream(streamName(input));
    return {
      StreamDescriptionSummary: {
        StreamName: d.streamName,
        StreamARN: d.streamArn,
        StreamStatus: d.status,
        StreamModeDetails: STREAM_MODE,
        RetentionPeriodHours: d.retentionPeriodHours,
        StreamCreationTimestamp: d.createdAt / 1000,
        EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
        EncryptionType: 'NONE',
        OpenShardCount: d.openShardCount,
        ConsumerCount: 0,
      },
    };
  },
  ListStreams(engine, input) {
    const limit = input.Limit === undefined ? 100 : Number(input.Limit);
    const start = (input.ExclusiveStartStreamName as string | undefined) ?? decodeToken(input.NextToken);
    const all = engine.streams.listStreams().filter((name) => start === undefined || name > start);
    const names = all.slice(0, limit);
    const more = all.length > names.length;
    return {
      StreamNames: names,
      HasMoreStreams: more,
      ...(more ? { NextToken: encodeToken(names.at(-1) as string) } : {}),
      StreamSummaries: names.map((name) => {
        const d = engine.streams.describeStream(name);
        return {
          StreamName: name,
          StreamARN: d.streamArn,
          StreamStatus: d.status,
          StreamModeDetails: STREAM_MODE,
          StreamCreationTimestamp: d.createdAt / 1000,
        };
      }),
    };
  },
  ListShards(engine, input) {
    let name: string;
    let after = input.ExclusiveStartShardId as string | undefined;
    if (input.NextToken !== undefined) {
      const token = decodeShardToken(input.NextToken);
      name = token.s;
      after = token.a;
    } else {
      name = streamName(input);
    }
    const limit = input.MaxResults === undefined ? 1000 : Number(input.MaxResults);
    const all = engine.streams.listShards(name).filter((s) => after === undefined || s.shardId > after);
    const page = all.slice(0, limit);
    const more = all.length > page.length;
    return {
      Shards: page.map(wireShard),
      ...(more
        ? { NextToken: Buffer.from(JSON.stringify({ s: name, a: page.at(-1)?.shardId })).toString('base64') }
        : {}),
    };
  },
  PutRecord(engine, input) {
    const result = engine.streams.putRecord(streamName(input), wireRecord(input));
    return { ShardId: result.shardId, SequenceNumber: result.sequenceNumber, EncryptionType: 'NONE' };
  },
  PutRecords(engine, input) {
    const records = input.Records;
    if (!Array.isArray(records) || records.length < 1 || records.length > 500) {
      throw invalid('Records must hold between 1 and 500 entries');
    }
    const result = engine.streams.putRecords(streamName(input), wireRecords(records as Record<string, unknown>[]));
    // Written as text: up to 500 entries per request, and shard ids and sequence numbers need no escaping.
    let text = `{"FailedRecordCount":${result.failedRecordCount},"Records":[`;
    for (let i = 0; i < result.records.length; i++) {
      const r = result.records[i] as (typeof result.records)[number];
      if (i > 0) text += ',';
      text +=
        'errorCode' in r
          ? JSON.stringify({ ErrorCode: r.errorCode, ErrorMessage: r.errorMessage })
          : `{"SequenceNumber":"${r.sequenceNumber}","ShardId":"${r.shardId}"}`;
    }
    return new JsonText(`${text}],"EncryptionType":"NONE"}`);
  },
  GetShardIterator(engine, input, now) {
    const name = streamName(input);
    const shardId = requireString(input, 'ShardId');
    const type = requireString(input, 'ShardIteratorType');
    let position: ShardPosition;
    switch (type) {
      case 'TRIM_HORIZON':
        position = {};
        break;
      case 'LATEST':
        // LATEST means "after the tip as of now": resolve it here so later records are seen.
        position = engine.streams.readShard(name, shardId, { latest: true }, 1).next;
        break;
      case 'AT_SEQUENCE_NUMBER':
        position = { at: requireString(input, 'StartingSequenceNumber') };
        break;
      case 'AFTER_SEQUENCE_NUMBER':
        position = { after: requireString(input, 'StartingSequenceNumber') };
        break;
      case 'AT_TIMESTAMP':
        position = { atTimestamp: epochMs(input.Timestamp) };
        break;
      default:
        throw invalid(`Invalid ShardIteratorType: ${type}`);
    }
    // Validates stream, shard and sequence number now rather than at the first GetRecords.
    if (type !== 'LATEST') engine.streams.readShard(name, shardId, position, 1);
    return { ShardIterator: encodeIterator({ streamName: name, shardId, position, issuedAt: now }) };
  },
  GetRecords(engine, input, now) {
    const state = decodeIterator(input.ShardIterator, now);
    const limit = input.Limit === undefined ? 10_000 : Number(input.Limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw invalid('Limit must be between 1 and 10000');
    const read = engine.streams.readShard(state.streamName, state.shardId, state.position, limit);
    const children = read.shardClosed
      ? engine.streams
          .listShards(state.streamName)
          .filter((s) => s.parentShardIds.includes(state.shardId))
          .map((s) => ({
            ShardId: s.shardId,
            ParentShards: s.parentShardIds,
            HashKeyRange: { StartingHashKey: s.hashKeyRange.start, EndingHashKey: s.hashKeyRange.end },
          }))
      : undefined;
    return {
      Records: read.records.map((r) => ({
        SequenceNumber: r.sequenceNumber,
        ApproximateArrivalTimestamp: r.approximateArrivalTimestamp / 1000,
        Data: r.data.toString('base64'),
        PartitionKey: r.partitionKey,
      })),
      NextShardIterator: read.shardClosed ? null : encodeIterator({ ...state, position: read.next, issuedAt: now }),
      MillisBehindLatest: read.millisBehindLatest,
      ...(children ? { ChildShards: children } : {}),
    };
  },
  IncreaseStreamRetentionPeriod(engine, input) {
    engine.streams.setRetention(streamName(input), Number(input.RetentionPeriodHours), 'increase');
    return {};
  },
  DecreaseStreamRetentionPeriod(engine, input) {
    engine.streams.setRetention(streamName(input), Number(input.RetentionPeriodHours), 'decrease');
    return {};
  },
  UpdateShardCount(engine, input) {
    const name = streamName(input);
    const scaling = input.ScalingType ?? 'UNIFORM_SCALING';
    if (scaling !== 'UNIFORM_SCALING') throw invalid(`Unsupported ScalingType: ${String(scaling)}`);
    const result = engine.streams.updateShardCount(name, Number(input.TargetShardCount));
    return {
      StreamName: name,
      StreamARN: engine.streams.streamArn(name),
      CurrentShardCount: result.currentShardCount,
      TargetShardCount: result.targetShardCount,
    };
  },
  AddTagsToStream() {
    return {};
  },
  ListTagsForStream() {
    return { Tags: [], HasMoreTags: false };
  },
};

function wireShard(s: ShardDescription): Record<string, unknown> {
  return {
    ShardId: s.shardId,
    ...(s.parentShardId ? { ParentShardId: s.parentShardId } : {}),
    ...(s.adjacentParentShardId ? { AdjacentParentShardId: s.adjacentParentShardId } : {}),
    HashKeyRange: { StartingHashKey: s.hashKeyRange.start, EndingHashKey: s.hashKeyRange.end },
    SequenceNumberRange: {
      StartingSequenceNumber: s.sequenceNumberRange.start,
      ...(s.sequenceNumberRange.end ? { EndingSequenceNumber: s.sequenceNumberRange.end } : {}),
    },
  };
}

function wireRecord(input: Record<string, unknown>): { data: Buffer; partitionKey: string; explicitHashKey?: string } {
  if (typeof input.Data !== 'string') throw invalid('Data must be a base64 string');
  return {
    data: Buffer.from(input.Data, 'base64'),
    partitionKey: input.PartitionKey as string,
    ...(input.ExplicitHashKey !== undefined ? { explicitHashKey: String(input.ExplicitHashKey) } : {}),
  };
}

// Where wireRecords decodes a request's data: reused from one request to the next, as the stream
// store copies every record into SQLite before PutRecords returns.
let decoded = Buffer.allocUnsafe(0);

/**
 * The records of a PutRecords request, their base64 data decoded into one reused buffer (no
 * allocation per record or per request): each record's data is a view into it, valid only until
 * the next PutRecords.
 */
function wireRecords(
  inputs: Record<string, unknown>[],
): Array<{ data: Buffer; partitionKey: string; explicitHashKey?: string }> {
  let total = 0;
  for (const input of inputs) {
    if (typeof input?.Data !== 'string') throw invalid('Data must be a base64 string');
    total += Buffer.byteLength(input.Data, 'base64');
  }
  if (decoded.length < total) decoded = Buffer.allocUnsafe(Math.max(total, decoded.length * 2));
  const bytes = decoded;
  let offset = 0;
  return inputs.map((input) => {
    const written = bytes.write(input.Data as string, offset, 'base64');
    const data = bytes.subarray(offset, offset + written);
    offset += written;
    return {
      data,
      partitionKey: input.PartitionKey as string,
      ...(input.ExplicitHashKey !== undefined ? { explicitHashKey: String(input.ExplicitHashKey) } : {}),
    };
  });
}

/** The stream a request names, by StreamName or StreamARN. */
function streamName(input: Record<string, unknown>): string {
  if (typeof input.StreamName === 'string') return input.StreamName;
  if (typeof input.StreamARN === 'string') {
    const name = kinesisStreamNameOf(input.StreamARN);
    if (name) return name;
  }
  throw invalid('Either StreamName or StreamARN is required');
}

function requireString(input: Record<string, unknown>, key: string): string {
  const value = input[key];
  if (typeof value !== 'string' || value === '') throw invalid(`${key} is required`);
  return value;
}

function epochMs(value: unknown): number {
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  throw invalid('Timestamp is required for AT_TIMESTAMP');
}

function encodeToken(name: string): string {
  return Buffer.from(name).toString('base64');
}

function decodeToken(token: unknown): string | undefined {
  return typeof token === 'string' ? Buffer.from(token, 'base64').toString('utf8') : undefined;
}

function decodeShardToken(token: unknown): { s: string; a: string } {
  try {
    const parsed = JSON.parse(Buffer.from(String(token), 'base64').toString('utf8')) as { s?: unknown; a?: unknown };
    if (typeof parsed.s === 'string' && typeof parsed.a === 'string') return { s: parsed.s, a: parsed.a };
  } catch (err) {
    throw new InvalidStreamArgument('Invalid NextToken', { cause: err });
  }
  throw invalid('Invalid NextToken');
}

function invalid(message: string): InvalidStreamArgument {
  return new InvalidStreamArgument(message);
}
