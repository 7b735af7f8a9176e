import type { InvokeResult } from '../invoke/index.js';
import type { BatchOutcome, FailureCondition } from './batch.js';

/** What the on-failure record says about the records given up on. */
export interface FailedBatch {
  functionArn: string;
  condition: FailureCondition;
  attempts: number;
  outcome?: BatchOutcome;
  batchInfoKey: 'KinesisBatchInfo' | 'DDBStreamBatchInfo';
  shardId: string;
  streamArn: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  firstArrival: number;
  lastArrival: number;
  batchSize: number;
}

/** The record AWS sends to a stream mapping's on-failure destination. */
export function failureRecord(f: FailedBatch): Record<string, unknown> {
  const result: InvokeResult | undefined = f.outcome?.kind === 'failed' ? f.outcome.result : undefined;
  return {
    requestContext: {
      requestId: result?.requestId ?? '',
      functionArn: f.functionArn,
      condition: f.condition,
      approximateInvokeCount: f.attempts,
    },
    responseContext: {
      statusCode: result?.statusCode ?? 200,
      executedVersion: result?.executedVersion ?? '$LATEST',
      functionError: result?.functionError ?? (f.condition === 'RecordAgeExceeded' ? undefined : 'Unhandled'),
    },
    version: '1.0',
    timestamp: new Date().toISOString(),
    [f.batchInfoKey]: {
      shardId: f.shardId,
      startSequenceNumber: f.startSequenceNumber,
      endSequenceNumber: f.endSequenceNumber,
      approximateArrivalOfFirstRecord: new Date(f.firstArrival).toISOString(),
      approximateArrivalOfLastRecord: new Date(f.lastArrival).toISOString(),
      batchSize: f.batchSize,
      streamArn: f.streamArn,
    },
  };
}
