import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../../engine.js';
import { handleDynamoDb } from './dynamodb/index.js';
import { handleKinesis } from './kinesis/index.js';
import { handleLambda, isLambdaPath } from './lambda/index.js';
import { handleS3 } from './s3/index.js';
import { handleSqs, isSqsQueryRequest } from './sqs/index.js';

/** What an AWS wire adapter receives. */
export interface AwsRequestContext {
  engine: Engine;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  requestId: string;
  /** The server allows unsigned requests (ServerOptions.anonymous). */
  anonymous?: boolean;
}

export type AwsHandler = (ctx: AwsRequestContext) => Promise<void>;

/**
 * Picks the AWS service a request is for: Lambda by its REST paths, Kinesis/DynamoDB/SQS by
 * X-Amz-Target (JSON protocols) or the SQS query protocol, and S3 for everything else.
 */
export function pickAwsHandler(req: IncomingMessage, url: URL): AwsHandler {
  if (isLambdaPath(url.pathname)) return handleLambda;
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    if (target.startsWith('Kinesis_')) return handleKinesis;
    if (target.startsWith('DynamoDB')) return handleDynamoDb;
    if (target.startsWith('AmazonSQS')) return handleSqs;
  }
  if (isSqsQueryRequest(req, url)) return handleSqs;
  return handleS3;
}
