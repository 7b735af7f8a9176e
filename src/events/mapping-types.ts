/** The kinds of source an event source mapping reads. */
export const SOURCE_TYPES = { kinesis: 'kinesis', dynamodb: 'dynamodb', sqs: 'sqs' } as const;
export type SourceType = (typeof SOURCE_TYPES)[keyof typeof SOURCE_TYPES];

/** Where a new stream mapping starts reading. */
export type StartingPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

/** An event source mapping's configuration, as stored. */
export interface MappingConfig {
  uuid: string;
  functionName: string;
  functionArn: string;
  eventSourceArn: string;
  sourceType: SourceType;
  /** Stream, table or queue name. */
  sourceName: string;
  enabled: boolean;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  startingPosition?: StartingPosition;
  /** Epoch ms, for AT_TIMESTAMP. */
  startingPositionTimestamp?: number;
  parallelizationFactor: number;
  /** -1 retries until the record expires. */
  maximumRetryAttempts: number;
  /** -1 never expires records (beyond the stream's retention). */
  maximumRecordAgeInSeconds: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
  /** Streams: tumbling window length in seconds (0: off); state passes between a window's invocations. */
  tumblingWindowInSeconds: number;
  /** SQS or function ARN that gets failed batches (streams). */
  onFailureDestination?: string;
  /** Queues: most concurrent batches. */
  maximumConcurrency?: number;
  /** Epoch ms. */
  lastModified: number;
  lastProcessingResult: string;
  stateTransitionReason: string;
}

/** What the poller of a mapping reports about itself. */
export interface MappingStatus {
  /** Stream/table: records not yet processed (across shards); queue: messages waiting or in flight. */
  lag: number;
  /** Stream shards being read now. */
  activeShards?: string[];
  invocations: number;
  failures: number;
  /** Queues: concurrent batches now. */
  concurrency?: number;
}

/** The mapping plus the live state the native API and the CLI show. */
export interface MappingView extends MappingConfig {
  state: 'Creating' | 'Enabled' | 'Disabled' | 'Enabling' | 'Disabling' | 'Updating' | 'Deleting';
  status: MappingStatus;
}

/** A change to a mapping (Update / PATCH). */
export type MappingPatch = Partial<
  Pick<
    MappingConfig,
    | 'functionName'
    | 'enabled'
    | 'batchSize'
    | 'maximumBatchingWindowInSeconds'
    | 'parallelizationFactor'
    | 'maximumRetryAttempts'
    | 'maximumRecordAgeInSeconds'
    | 'bisectBatchOnFunctionError'
    | 'reportBatchItemFailures'
    | 'tumblingWindowInSeconds'
    | 'onFailureDestination'
    | 'maximumConcurrency'
  >
>;

/** What creating a mapping takes (defaults filled by the service). */
export type MappingInput = MappingPatch & {
  functionName: string;
  eventSourceArn: string;
  startingPosition?: StartingPosition;
  startingPositionTimestamp?: number;
};
