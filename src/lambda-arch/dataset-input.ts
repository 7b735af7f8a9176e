/** What creating a master dataset takes, and how it is checked. */
import { InvalidParameterValue } from '../shared/errors.js';
import type { StreamStore } from '../storage/streams/index.js';
import type { Compression, DatasetConfig } from './types.js';
import { DEFAULT_TIME_FIELD } from './view-module.js';

/** What creating a dataset takes. */
export interface DatasetInput {
  name: string;
  stream: string;
  bucket?: string;
  /** Field holding the event time (default `created_at`). */
  timeField?: string;
  retention?: { hours?: number; days?: number };
  /** SQS queue or function ARN that gets invalid and late events with the reason. */
  onFailure?: string;
  batchSize?: number;
  /** How master objects are stored (default `none`: plain JSON lines). */
  compression?: Compression;
}

/** Valid dataset and view names. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;
const DEFAULT_BUCKET = 'lambdata-datasets';
/**
 * Records per archived batch at most. A poll takes what the shard holds up to this, so a lone record
 * is archived at once; under load, batches (and so master objects and speed transactions) grow.
 */
const DEFAULT_BATCH_SIZE = 5000;
/**
 * Gzip unless told: the master dataset only grows, and plain JSON lines take 5.3 times the disk of
 * gzip level 1 (the bench's tweets). `none` is for a dataset recomputed often on a machine with disk
 * to spare: inflating costs a recompute mapper 1.5-1.8 CPU-s per GB of lines on one core (about as
 * much as the built-in word view's fold in its kernel), compressing the engine 4.2 CPU-s per GB as
 * it archives.
 */
const DEFAULT_COMPRESSION: Compression = 'gzip';
const COMPRESSIONS: readonly Compression[] = ['none', 'gzip'];

/**
 * A dataset's configuration from what creating it takes, with defaults.
 * @throws InvalidParameterValue naming the first field that is wrong, ResourceNotFound (stream)
 */
export function validateDataset(input: DatasetInput, streams: StreamStore): DatasetConfig {
  if (!input || typeof input !== 'object') throw new InvalidParameterValue('a dataset needs { name, stream }');
  if (typeof input.name !== 'string' || !NAME.test(input.name))
    throw new InvalidParameterValue(`name must match ${NAME.source}`);
  if (typeof input.stream !== 'string' || !input.stream) throw new InvalidParameterValue('stream is required');
  streams.streamArn(input.stream);
  if (!streams.hasStream(input.stream)) throw new InvalidParameterValue(`Stream not found: ${input.stream}`);
  const bucket = input.bucket ?? DEFAULT_BUCKET;
  if (typeof bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new InvalidParameterValue(`bucket must be a valid bucket name: ${bucket}`);
  const timeField = input.timeField ?? DEFAULT_TIME_FIELD;
  if (typeof timeField !== 'string' || !timeField) throw new InvalidParameterValue('timeField must be a field name');
  let retention: DatasetConfig['retention'];
  if (input.retention !== undefined && input.retention !== null) {
    const hours = (input.retention.hours ?? 0) + (input.retention.days ?? 0) * 24;
    if (!Number.isFinite(hours) || hours <= 0)
      throw new InvalidParameterValue('retention needs a positive number of hours or days');
    retention = { hours };
  }
  const batchSize = input.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
    throw new InvalidParameterValue('batchSize must be an integer from 1 to 10000');
  const compression = input.compression ?? DEFAULT_COMPRESSION;
  if (!COMPRESSIONS.includes(compression))
    throw new InvalidParameterValue(`compression must be one of ${COMPRESSIONS.join(', ')}`);
  if (input.onFailure !== undefined && typeof input.onFailure !== 'string')
    throw new InvalidParameterValue('onFailure must be an SQS queue or function ARN');
  return {
    name: input.name,
    stream: input.stream,
    bucket,
    prefix: `master/${input.name}/`,
    timeField,
    retention,
    onFailure: input.onFailure,
    batchSize,
    compression,
  };
}
