import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../../engine.js';
import { requestUrl } from '../router.js';
import { handleDynamoDb } from './dynamodb/index.js';
import { sendAwsJsonError } from './errors.js';
import { handleKinesis } from './kinesis/index.js';
import { handleLambda, isLambdaPath } from './lambda/index.js';
import { sendS3Error } from './s3/errors.js';
import { handleS3 } from './s3/index.js';
import { sendSnsError } from './sns/errors.js';
import { handleSns, isSnsRequest } from './sns/index.js';
import { sendSqsError } from './sqs/errors.js';
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
 * The adapter for a request, and whether it verifies its own signature (S3 streams its bodies; SQS
 * answers signature failures in its query protocol's XML).
 */
export interface AwsRoute {
  handle: AwsHandler;
  /** The service, for the few that are told apart after routing (test-only fault injection). */
  service?: 'lambda' | 's3';
  verifiesOwnSignature: boolean;
  /** Answers a refusal in the service's own error shape (S3 XML, or JSON with `__type`). */
  sendError(req: IncomingMessage, res: ServerResponse, err: unknown, requestId: string): void;
}

// Routes are built once: one is picked per request.
const LAMBDA_ROUTE: AwsRoute = { ...signed(handleLambda), service: 'lambda' };
const KINESIS_ROUTE = signed(handleKinesis);
const DYNAMODB_ROUTE = signed(handleDynamoDb);

/** S3 checks its own signatures (it streams its bodies) and answers in its XML. */
const S3_ROUTE: AwsRoute = {
  handle: handleS3,
  service: 's3',
  verifiesOwnSignature: true,
  sendError: (req, res, err, requestId) => {
    req.resume();
    sendS3Error(res, err, requestUrl(req.url).pathname, requestId, req.method ?? 'GET');
  },
};

/** SQS checks its own signatures, so that their failures answer in its query-XML or JSON shape. */
const SQS_ROUTE: AwsRoute = {
  handle: handleSqs,
  verifiesOwnSignature: true,
  sendError: (req, res, err, requestId) => {
    req.resume();
    sendSqsError(res, err, typeof req.headers['x-amz-target'] === 'string', requestId);
  },
};

/** SNS checks its own signatures (its links are unsigned), answering failures in its XML. */
const SNS_ROUTE: AwsRoute = {
  handle: handleSns,
  verifiesOwnSignature: true,
  sendError: (req, res, err, requestId) => {
    req.resume();
    sendSnsError(res, err, requestId);
  },
};

/**
 * Picks the AWS service a request is for: Lambda by its REST paths, Kinesis/DynamoDB/SQS by
 * X-Amz-Target (JSON protocols), SNS by its signing scope, the SQS query protocol, and S3 for everything else.
 */
export function pickAwsHandler(req: IncomingMessage, url: URL): AwsRoute {
  if (isLambdaPath(url.pathname)) return LAMBDA_ROUTE;
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    if (target.startsWith('Kinesis_')) return KINESIS_ROUTE;
    if (target.startsWith('DynamoDB')) return DYNAMODB_ROUTE;
    if (target.startsWith('AmazonSQS')) return SQS_ROUTE;
  }
  if (isSnsRequest(req, url)) return SNS_ROUTE;
  if (isSqsQueryRequest(req, url)) return SQS_ROUTE;
  return S3_ROUTE;
}

function signed(handle: AwsHandler): AwsRoute {
  return {
    handle,
    verifiesOwnSignature: false,
    sendError: (req, res, err, requestId) => {
      req.resume();
      sendAwsJsonError(res, err, requestId);
    },
  };
}
