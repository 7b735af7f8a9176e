import type { Engine } from '../../../engine.js';
import { tableNameOfStream } from '../../../shared/arn.js';
import { ResourceNotFound } from '../../../shared/errors.js';
import { ValidationError } from '../../../storage/tables/index.js';
import { ExpiredIterator } from '../errors.js';
import type { Input } from './wire.js';

/** A DynamoDB Streams operation. */
export type DynamoDbStreamsOperation = (engine: Engine, input: Input, now: number) => unknown;

/** Each table stream has exactly one shard. */
const SHARD_ID = 'shardId-00000000000000000001-00000001';
const ITERATOR_TTL_MS = 15 * 60_000;

/** The DynamoDB Streams operations (`DynamoDBStreams_20120810.*`); each table stream is one shard. */
export const streamOperations: Record<string, DynamoDbStreamsOperation> = {
  ListStreams(engine, input) {
    const names = input.TableName ? [input.TableName as string] : engine.tables.listTables();
    const streams = names
      .map((tableName) => ({ tableName, arn: engine.tables.streamArn(tableName) }))
      .filter((s): s is { tableName: string; arn: string } => s.arn !== undefined)
      .map((s) => ({ StreamArn: s.arn, TableName: s.tableName, StreamLabel: s.arn.split('/stream/')[1] }));
    return { Streams: streams };
  },
  DescribeStream(engine, input) {
    const { tableName, arn } = streamOf(engine, input.StreamArn);
    const table = engine.tables.describeTable(tableName);
    return {
      StreamDescription: {
        StreamArn: arn,
        StreamLabel: table.latestStreamLabel,
        StreamStatus: 'ENABLED',
        StreamViewType: engine.tables.streamViewType(tableName),
        CreationRequestDateTime: table.creationDateTime / 1000,
        TableName: tableName,
        KeySchema: table.keySchema.map((k) => ({ AttributeName: k.attributeName, KeyType: k.keyType })),
        Shards: [{ ShardId: SHARD_ID, SequenceNumberRange: { StartingSequenceNumber: '000000000000000000001' } }],
      },
    };
  },
  GetShardIterator(engine, input, now) {
    const { tableName } = streamOf(engine, input.StreamArn);
    if (input.ShardId !== SHARD_ID) throw new ResourceNotFound(`Shard ${String(input.ShardId)} not found`);
    const sequence = input.SequenceNumber as string | undefined;
    let after: string | undefined;
    switch (input.ShardIteratorType) {
      case 'TRIM_HORIZON':
        break;
      case 'LATEST':
        after = engine.tables.lastChangeSequence(tableName);
        break;
      case 'AT_SEQUENCE_NUMBER':
        after = String(BigInt(requireSequence(sequence)) - 1n);
        break;
      case 'AFTER_SEQUENCE_NUMBER':
        after = requireSequence(sequence);
        break;
      default:
        throw new ValidationError(`Invalid ShardIteratorType: ${String(input.ShardIteratorType)}`);
    }
    return { ShardIterator: encode(tableName, after, now) };
  },
  GetRecords(engine, input, now) {
    const state = decode(input.ShardIterator, now);
    const limit = input.Limit === undefined ? 1000 : Number(input.Limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new ValidationError('Limit must be between 1 and 1000');
    const changes = engine.tables.readChanges(state.table, state.after, limit);
    const viewType = engine.tables.streamViewType(state.table);
    const region = engine.context.region;
    return {
      Records: changes.map((c) => ({
        eventID: `${c.sequenceNumber}`,
        eventName: c.eventName,
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: region,
        dynamodb: {
          ApproximateCreationDateTime: Math.floor(c.approximateCreationDateTime / 1000),
          Keys: c.keys,
          ...(c.newImage ? { NewImage: c.newImage } : {}),
          ...(c.oldImage ? { OldImage: c.oldImage } : {}),
          SequenceNumber: c.sequenceNumber,
          SizeBytes: c.sizeBytes,
          StreamViewType: viewType,
        },
        ...(c.userIdentity ? { userIdentity: c.userIdentity } : {}),
      })),
      NextShardIterator: encode(state.table, changes.at(-1)?.sequenceNumber ?? state.after, now),
    };
  },
};

function streamOf(engine: Engine, arn: unknown): { tableName: string; arn: string } {
  const tableName = typeof arn === 'string' ? tableNameOfStream(arn) : undefined;
  if (!tableName || !engine.tables.listTables().includes(tableName) || engine.tables.streamArn(tableName) !== arn) {
    throw new ResourceNotFound(`Requested resource not found: Stream: ${String(arn)} not found`);
  }
  return { tableName, arn: arn as string };
}

function requireSequence(sequence: string | undefined): string {
  if (!sequence || !/^\d{1,40}$/.test(sequence))
    throw new ValidationError('SequenceNumber is required for this iterator type');
  return sequence;
}

function encode(table: string, after: string | undefined, now: number): string {
  return Buffer.from(JSON.stringify({ t: table, a: after ?? null, i: now })).toString('base64');
}

function decode(iterator: unknown, now: number): { table: string; after?: string } {
  let raw: { t?: unknown; a?: unknown; i?: unknown } = {};
  try {
    raw = JSON.parse(Buffer.from(String(iterator), 'base64').toString('utf8')) as typeof raw;
  } catch (err) {
    throw new ValidationError('Invalid ShardIterator', { cause: err });
  }
  if (typeof raw.t !== 'string' || typeof raw.i !== 'number') throw new ValidationError('Invalid ShardIterator');
  if (now - raw.i > ITERATOR_TTL_MS) throw new ExpiredIterator('Iterator expired');
  return { table: raw.t, ...(typeof raw.a === 'string' ? { after: raw.a } : {}) };
}
