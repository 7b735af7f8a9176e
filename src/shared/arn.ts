import { ACCOUNT_ID } from './ids.js';

/**
 * Every ARN lambdata writes or reads, in one place. Resources all belong to the one local account
 * (`ACCOUNT_ID`) in the engine's region; parsers accept what the AWS API that takes the ARN accepts.
 */

/** A Lambda function ARN in any partition: captures the name and the optional qualifier (Lambda API FunctionName). */
export const FUNCTION_ARN = /^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::([\w$-]+))?$/;

/** A function name, or a function ARN, optionally with a version or alias (S3 notification CloudFunction). */
const FUNCTION_REF =
  /^(arn:aws:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;
/** A function ARN an async invocation may be sent on to: unqualified, $LATEST, a version number or an alias. */
const DESTINATION_FUNCTION_ARN =
  /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]{1,64}(:(\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/;
/** A queue ARN an async invocation's record may be sent to. */
const DESTINATION_QUEUE_ARN = /^arn:aws:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]{1,80}(\.fifo)?$/;
/** A topic ARN an async invocation's record may be sent to. */
const DESTINATION_TOPIC_ARN = /^arn:aws:sns:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]{1,256}(\.fifo)?$/;
const KINESIS_STREAM_ARN = /^arn:aws[\w-]*:kinesis:[^:]*:\d{12}:stream\/([^/]+)$/;
const TABLE_ARN = /^arn:aws:dynamodb:[^:]*:\d+:table\/([^/]+)$/;
const TABLE_STREAM_ARN = /^arn:aws[\w-]*:dynamodb:[^:]*:\d{12}:table\/([^/]+)\/stream\/.+$/;
const QUEUE_ARN = /^arn:aws[\w-]*:sqs:[^:]*:\d{12}:([^:/]+)$/;
const SERVICE = /^arn:aws[\w-]*:([a-z0-9-]+):/;

/** The ARN of a function, optionally qualified with a version or alias. */
export function functionArn(region: string, name: string, qualifier?: string): string {
  const base = `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}`;
  return qualifier ? `${base}:${qualifier}` : base;
}

/** The ARN of an event source mapping. */
export function eventSourceMappingArn(region: string, uuid: string): string {
  return `arn:aws:lambda:${region}:${ACCOUNT_ID}:event-source-mapping:${uuid}`;
}

/** `arn:aws:sqs:<region>:000000000000:<name>`. */
export function queueArn(region: string, name: string): string {
  return `arn:aws:sqs:${region}:${ACCOUNT_ID}:${name}`;
}

/** `arn:aws:sns:<region>:000000000000:<name>`. */
export function topicArn(region: string, name: string): string {
  return `arn:aws:sns:${region}:${ACCOUNT_ID}:${name}`;
}

/** `arn:aws:kinesis:<region>:000000000000:stream/<name>`. */
export function kinesisStreamArn(region: string, name: string): string {
  return `arn:aws:kinesis:${region}:${ACCOUNT_ID}:stream/${name}`;
}

/** `arn:aws:dynamodb:<region>:000000000000:table/<name>`. */
export function tableArn(region: string, name: string): string {
  return `arn:aws:dynamodb:${region}:${ACCOUNT_ID}:table/${name}`;
}

/** A table's change stream: `…:table/<name>/stream/<label>`. */
export function tableStreamArn(region: string, tableName: string, label: string): string {
  return `${tableArn(region, tableName)}/stream/${label}`;
}

/** An EventBridge rule (schedules). */
export function ruleArn(region: string, name: string): string {
  return `arn:aws:events:${region}:${ACCOUNT_ID}:rule/${name}`;
}

/** An IAM role of the local account (lambdata does not enforce IAM; roles are only reported). */
export function roleArn(name: string): string {
  return `arn:aws:iam::${ACCOUNT_ID}:role/${name}`;
}

/** An S3 bucket (bucket ARNs carry neither region nor account). */
export function bucketArn(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}

/** A function ARN with its qualifier replaced: `…:function:name` + `live` → `…:function:name:live`. */
export function withQualifier(arn: string, qualifier: string | undefined): string {
  const base = arn.split(':').slice(0, 7).join(':');
  return qualifier ? `${base}:${qualifier}` : base;
}

/** Splits a function name, ARN or partial ARN (`123456789012:function:name`) into name and qualifier. */
export function parseFunctionRef(ref: string): { name: string; qualifier?: string } {
  const parts = String(ref).split(':');
  let rest: string[];
  if (parts[0] === 'arn' && parts.length >= 7 && parts[5] === 'function') rest = parts.slice(6);
  else if (parts.length >= 3 && parts[1] === 'function') rest = parts.slice(2);
  else rest = parts;
  const [name = '', qualifier] = rest;
  return qualifier === undefined ? { name } : { name, qualifier };
}

/** True for a function name or function ARN, optionally qualified. */
export function isFunctionRef(text: string): boolean {
  return FUNCTION_REF.test(text);
}

/** True when an ARN names a Lambda function (rather than a queue). */
export function isFunctionArn(arn: string): boolean {
  return arn.startsWith('arn:aws:lambda:');
}

/** True for an ARN an async invocation's outcome may go to: a function (version or $LATEST), a queue or a topic. */
export function isDestinationArn(arn: string): boolean {
  return DESTINATION_FUNCTION_ARN.test(arn) || DESTINATION_QUEUE_ARN.test(arn) || DESTINATION_TOPIC_ARN.test(arn);
}

/** The service part of an ARN (`sqs`, `lambda` …), or undefined when the text is no ARN. */
export function arnService(arn: string): string | undefined {
  return SERVICE.exec(arn)?.[1];
}

/** The stream name in a Kinesis stream ARN, or undefined. */
export function kinesisStreamNameOf(arn: string): string | undefined {
  return KINESIS_STREAM_ARN.exec(arn)?.[1];
}

/** The table name in a DynamoDB table ARN, or undefined. */
export function tableNameOf(arn: string): string | undefined {
  return TABLE_ARN.exec(arn)?.[1];
}

/** The table name in a DynamoDB table stream ARN, or undefined. */
export function tableNameOfStream(arn: string): string | undefined {
  return TABLE_STREAM_ARN.exec(arn)?.[1];
}

/** The queue name in an SQS queue ARN, or undefined. */
export function queueNameOf(arn: string): string | undefined {
  return QUEUE_ARN.exec(arn)?.[1];
}
