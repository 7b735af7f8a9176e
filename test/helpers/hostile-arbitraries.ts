/** fast-check arbitraries and fixed vocabularies of hostile input, for the hostile-input suite. */
import fc from 'fast-check';

/** Names and path segments that have broken parsers and routers before. */
export const hostileName = fc.oneof(
  fc.constantFrom(
    'fuzz',
    'fn',
    '%zz',
    '%',
    '%E0%A4%A',
    '%ff%fe',
    '..',
    '%2e%2e',
    'constructor',
    '__proto__',
    'toString',
    'a.-b',
    'a-.b',
    '192.168.0.1',
    'AB',
    'x',
    '_lambdata',
    'a'.repeat(300),
    '%00',
    '%C0%AE%C0%AE',
  ),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

/** Object keys meant to escape the data dir or break decoding. */
export const hostileKey = fc.oneof(
  fc.constantFrom(
    '../../x',
    '..%2F..%2Fx',
    '%2e%2e/%2e%2e/x',
    'a/../../../x',
    '/',
    '//x',
    '%zz',
    '%00',
    `${'k'.repeat(1100)}`,
    '%ED%A0%80',
    'a%2Fb',
  ),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
);

/** Members the JSON protocols read, to give wrong types to. */
const MEMBERS = [
  'TableName',
  'Item',
  'Key',
  'KeySchema',
  'AttributeDefinitions',
  'RequestItems',
  'ExpressionAttributeValues',
  'ExpressionAttributeNames',
  'KeyConditionExpression',
  'UpdateExpression',
  'Limit',
  'ExclusiveStartKey',
  'StreamName',
  'StreamARN',
  'Records',
  'Data',
  'PartitionKey',
  'ShardId',
  'ShardIterator',
  'NextToken',
  'QueueUrl',
  'QueueName',
  'Entries',
  'MessageBody',
  'MessageAttributes',
  'Attributes',
  'AttributeNames',
  'MaxNumberOfMessages',
  'FunctionName',
  'Handler',
  'Code',
  'MemorySize',
  'Timeout',
  'Environment',
  'Tags',
  'ReservedConcurrentExecutions',
  'BatchSize',
  'DestinationConfig',
  'EventSourceArn',
  'name',
  'bucket',
  'key',
  'shards',
  'data',
  'spec',
];

// A sensible member value, or its type's worst neighbours.
const memberValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, 'fuzz', '', 0, -1, 1.5, 1e308, true, [], {}, [null], { S: 5 }, { '': {} }),
);

/** A JSON request body: not JSON, not an object, or an object with wrong-typed members. */
export const hostileJsonBody: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('null', '[]', '"x"', '1', 'true', '{', '{"a":', '', '{}', '\u0000', '{"__proto__":{"x":1}}'),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.dictionary(fc.constantFrom(...MEMBERS), memberValue, { maxKeys: 6 }).map((v) => JSON.stringify(v)),
);

/** The JSON text of a DynamoDB AttributeValue, possibly nested far past 32 levels (built as text: no recursion). */
export const attributeValue: fc.Arbitrary<string> = fc
  .record({ depth: fc.integer({ min: 1, max: 5000 }), map: fc.boolean() })
  .map(({ depth, map }) =>
    map
      ? `${'{"M":{"k":'.repeat(depth)}{"S":"leaf"}${'}}'.repeat(depth)}`
      : `${'{"L":['.repeat(depth)}{"S":"leaf"}${']}'.repeat(depth)}`,
  );

/** X-Amz-Target values: real operations and prototype members, for each JSON service. */
export const JSON_TARGETS = [
  ...[
    'PutItem',
    'GetItem',
    'UpdateItem',
    'DeleteItem',
    'Query',
    'Scan',
    'CreateTable',
    'BatchWriteItem',
    'BatchGetItem',
    'ListTables',
    'constructor',
    '__proto__',
    '',
  ].map((op) => `DynamoDB_20120810.${op}`),
  ...['ListStreams', 'DescribeStream', 'GetShardIterator', 'GetRecords', 'constructor'].map(
    (op) => `DynamoDBStreams_20120810.${op}`,
  ),
  ...[
    'PutRecord',
    'PutRecords',
    'GetShardIterator',
    'GetRecords',
    'ListShards',
    'CreateStream',
    'DescribeStream',
    'UpdateShardCount',
    'constructor',
    '__proto__',
  ].map((op) => `Kinesis_20131202.${op}`),
  ...[
    'SendMessage',
    'SendMessageBatch',
    'ReceiveMessage',
    'CreateQueue',
    'SetQueueAttributes',
    'DeleteMessageBatch',
    'ListQueues',
    'constructor',
    'toString',
  ].map((op) => `AmazonSQS.${op}`),
];

/** Lambda REST paths with a `{name}` slot. */
export const LAMBDA_PATHS = [
  '/2015-03-31/functions',
  '/2015-03-31/functions/{name}',
  '/2015-03-31/functions/{name}/configuration',
  '/2015-03-31/functions/{name}/code',
  '/2015-03-31/functions/{name}/invocations',
  '/2015-03-31/functions/{name}/versions',
  '/2015-03-31/event-source-mappings/',
  '/2015-03-31/event-source-mappings/{name}',
  '/2021-10-31/functions/{name}/url',
  '/2017-03-31/tags/{name}',
  '/2017-10-31/functions/{name}/concurrency',
  '/2019-09-25/functions/{name}/event-invoke-config',
  '/2015-03-31/functions/{name}?Qualifier=%zz',
  '/2015-03-31/functions?MaxItems=1e0&Marker=-1',
];

/** Native API and function URL paths with `{name}` slots (streaming endpoints left out). */
export const NATIVE_PATHS = [
  '/_lambdata/functions',
  '/_lambdata/functions/{name}',
  '/_lambdata/functions/{name}/invoke',
  '/_lambdata/functions/{name}/versions',
  '/_lambdata/buckets',
  '/_lambdata/buckets/{name}',
  '/_lambdata/buckets/{name}/objects/{name}',
  '/_lambdata/buckets/fuzz/objects/{name}',
  '/_lambdata/buckets/{name}/notifications',
  '/_lambdata/queues',
  '/_lambdata/queues/{name}',
  '/_lambdata/queues/{name}/messages',
  '/_lambdata/streams',
  '/_lambdata/streams/{name}/records',
  '/_lambdata/tables',
  '/_lambdata/tables/{name}/items',
  '/_lambdata/tables/fuzz/get',
  '/_lambdata/mappings/{name}',
  '/_lambdata/schedules/{name}',
  '/_lambdata/dlq/{name}/replay',
  '/_lambdata/jobs/{name}',
  '/_lambdata/{name}',
  '/_lambdata/url/{name}/',
  '/_lambdata/url/{name}/{name}?a=%zz',
];

/** S3 sub-resources and parameters, valid and not. */
export const S3_QUERIES = [
  '',
  '?uploads',
  '?uploadId=nope',
  '?partNumber=1e0&uploadId=nope',
  '?partNumber=-1&uploadId=nope',
  '?list-type=2&max-keys=abc',
  '?list-type=2&continuation-token=%zz',
  '?delete',
  '?acl',
  '?location',
  '?notification',
  '?prefix=%ff&delimiter=',
  '?max-parts=1e3&uploadId=x',
  '?X-Amz-Signature=zz&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=1e9',
];

/** S3 headers: ranges, copy sources, digests, chunked encodings. */
export const S3_HEADERS: Array<Record<string, string>> = [
  {},
  { range: 'bytes=abc' },
  { range: 'bytes=5-1' },
  { range: 'bytes=-' },
  { range: 'bytes=0-0,1-1' },
  { range: 'bytes=99999999999999999999-' },
  { 'x-amz-copy-source': '/fuzz/%zz' },
  { 'x-amz-copy-source': '../../etc/passwd' },
  { 'x-amz-copy-source': '/fuzz/obj', 'x-amz-copy-source-range': 'bytes=9-2' },
  { 'content-md5': 'not-base64' },
  { 'x-amz-content-sha256': 'garbage' },
  { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': 'x' },
  { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'x-amz-decoded-content-length': '5' },
  { 'if-modified-since': 'yesterday', 'if-match': '' },
  { 'x-amz-metadata-directive': 'BOGUS', 'x-amz-copy-source': 'fuzz/obj' },
];

/** XML request documents, well-formed or not. */
export const hostileXml = fc.oneof(
  fc.constantFrom(
    '<Delete><Object><Key>obj</Key></Object></Delete>',
    '<Delete><Object/></Delete>',
    '<Delete>',
    '<CompleteMultipartUpload><Part><PartNumber>1e0</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>',
    '<CompleteMultipartUpload><Part/></CompleteMultipartUpload>',
    '<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>"a"</ETag></Part><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>',
    '<!DOCTYPE x [<!ENTITY a "aaaa">]><Delete>&a;&a;&a;</Delete>',
    `${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}`,
    '<NotificationConfiguration><LambdaFunctionConfiguration><Event>x</Event></LambdaFunctionConfiguration></NotificationConfiguration>',
    '<CreateBucketConfiguration><LocationConstraint>x</LocationConstraint></CreateBucketConfiguration>',
  ),
  fc.string({ maxLength: 100 }).map((s) => `<Delete><Object><Key>${s}</Key></Object></Delete>`),
);

/** SQS query parameter names: real ones, numbered ones and prototype members. */
export const SQS_QUERY_KEYS = [
  'QueueUrl',
  'QueueName',
  'MessageBody',
  'MaxNumberOfMessages',
  'VisibilityTimeout',
  'DelaySeconds',
  'Attribute.1.Name',
  'Attribute.1.Value',
  'MessageAttribute.1.Name',
  'MessageAttribute.1.Value.DataType',
  'MessageAttribute.1.Value.StringValue',
  'SendMessageBatchRequestEntry.1.Id',
  'SendMessageBatchRequestEntry.1.MessageBody',
  'AttributeName.1',
  '__proto__.polluted',
  'constructor.prototype.polluted',
  'Attribute.__proto__.Name',
  'Entries.1',
  '%zz',
];
