/**
 * Hostile input against every surface of a real server: generated malformed requests (seeded,
 * property-based) must never get a 5xx, must get their protocol's error shape, must leave the server
 * answering, and must never write outside the data dir. LAMBDATA_FUZZ_RUNS sets the runs per surface
 * (default 150); LAMBDATA_FUZZ_SEED the seed (printed by fast-check on failure).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cbor } from '@smithy/core/cbor';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';
import {
  type HostileRequest,
  type Protocol,
  type Signing,
  sendRaw,
  shapeProblem,
  snapshotTree,
} from '../helpers/hostile.js';
import {
  attributeValue,
  hostileJsonBody,
  hostileKey,
  hostileName,
  hostileXml,
  JSON_TARGETS,
  LAMBDA_PATHS,
  NATIVE_PATHS,
  S3_HEADERS,
  S3_QUERIES,
  SQS_QUERY_KEYS,
} from '../helpers/hostile-arbitraries.js';

const RUNS = Number(process.env.LAMBDATA_FUZZ_RUNS ?? 150);
const SEED = Number(process.env.LAMBDATA_FUZZ_SEED ?? 20_240_601);
const MARKER = 'hostile-escape-marker';

let parent: string;
let dataDir: string;
let engine: Engine;
let server: RunningServer;
let before: string[];
let sent = 0;

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'lambdata-hostile-'));
  dataDir = join(parent, 'data');
  engine = await createEngine({ dataDir });
  server = await startServer(engine, { port: 0 });
  engine.objects.createBucket('fuzz');
  await engine.objects.putObject('fuzz', 'obj', 'hello, hostile world');
  engine.tables.createTable({
    tableName: 'fuzz',
    keySchema: [{ attributeName: 'id', keyType: 'HASH' }],
    attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }],
  });
  engine.streams.createStream('fuzz', { shardCount: 1 });
  engine.queues.createQueue('fuzz', {});
  before = await snapshotTree(parent, dataDir);
});

afterAll(async () => {
  await server?.close();
  await engine?.close();
  await rm(parent, { recursive: true, force: true });
  console.log(`hostile-input: ${sent} requests, seed ${SEED}, ${RUNS} runs per surface`);
});

const signing = fc.constantFrom<Signing>('valid', 'valid', 'valid', 'none', 'garbage');

/** Sends one request and asserts the properties every answer must have. */
async function check(generated: HostileRequest): Promise<void> {
  sent++;
  const r = { ...generated, protocol: protocolOf(generated) };
  const answer = await sendRaw(server.port, r);
  const what = `${r.method} ${r.target} [${r.protocol}, ${r.signing}] → ${answer.status} ${answer.body.toString('utf8', 0, 300)}`;
  // 501 NotImplemented is S3's own answer for real S3 features lambdata lacks (object tagging, ACL writes).
  const unimplemented =
    r.protocol === 's3' && answer.status === 501 && answer.body.includes('<Code>NotImplemented</Code>');
  if (!unimplemented) expect(answer.status, what).toBeLessThan(500);
  expect(shapeProblem(r, answer), what).toBeUndefined();
}

/** Runs a batch of generated requests, then checks the server still answers. */
async function batch(arbitrary: fc.Arbitrary<HostileRequest>): Promise<void> {
  await fc.assert(fc.asyncProperty(arbitrary, check), { seed: SEED, numRuns: RUNS, endOnFailure: true });
  const health = await fetch(`${server.url}/_lambdata/health`);
  expect(health.status).toBe(200);
}

/** The protocol that answers: `..` segments are resolved before routing, so `/_lambdata/..` is S3's. */
function protocolOf(r: HostileRequest): Protocol {
  const path = new URL(`http://localhost${r.target}`).pathname;
  if (path.startsWith('/_lambdata/url/')) return 'url';
  if (path === '/_lambdata' || path.startsWith('/_lambdata/')) return 'native';
  return r.protocol === 'native' || r.protocol === 'url' ? 's3' : r.protocol;
}

function request(protocol: Protocol, service: string, fields: Omit<HostileRequest, 'protocol' | 'service'>) {
  return { protocol, service, ...fields };
}

describe('hostile input', () => {
  it('Lambda REST: bad paths, bodies and signatures', async () => {
    await batch(
      fc
        .record({
          method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
          path: fc.constantFrom(...LAMBDA_PATHS),
          name: hostileName,
          body: fc.option(hostileJsonBody, { nil: undefined }),
          signing,
        })
        .map(({ method, path, name, body, signing }) =>
          request('lambda', 'lambda', {
            method,
            target: path.replace('{name}', name),
            headers: { 'content-type': 'application/json' },
            body,
            signing,
          }),
        ),
    );
  });

  it('X-Amz-Target JSON (Kinesis, DynamoDB, DynamoDB Streams, SQS): unknown and prototype operations, wrong types', async () => {
    await batch(
      fc
        .record({ target: fc.constantFrom(...JSON_TARGETS), body: hostileJsonBody, signing })
        .map(({ target, body, signing }) => {
          const [prefix = ''] = target.split('.');
          const service = prefix.startsWith('Kinesis')
            ? 'kinesis'
            : prefix.startsWith('AmazonSQS')
              ? 'sqs'
              : 'dynamodb';
          const type = service === 'kinesis' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0';
          return request('json', service, {
            method: 'POST',
            target: '/',
            headers: { 'x-amz-target': target, 'content-type': type },
            body,
            signing,
          });
        }),
    );
  });

  it('DynamoDB: deeply nested values and expressions', async () => {
    const deep = fc.record({
      op: fc.constantFrom('PutItem', 'UpdateItem', 'Query', 'Scan', 'GetItem'),
      value: attributeValue,
      parens: fc.integer({ min: 1, max: 3000 }),
      signing,
    });
    await batch(
      deep.map(({ op, value, parens, signing }) =>
        request('json', 'dynamodb', {
          method: 'POST',
          target: '/',
          headers: { 'x-amz-target': `DynamoDB_20120810.${op}`, 'content-type': 'application/x-amz-json-1.0' },
          body: `{"TableName":"fuzz","Item":{"id":{"S":"a"},"v":${value}},"Key":{"id":{"S":"a"}},${JSON.stringify({
            UpdateExpression: `SET v = ${'list_append('.repeat(parens % 400)}v${', :v)'.repeat(parens % 400)}`,
            KeyConditionExpression: `${'('.repeat(parens)}id = :v${')'.repeat(parens)}`,
            FilterExpression: `${'NOT '.repeat(parens)}attribute_exists(v)`,
          }).slice(1, -1)},"ExpressionAttributeValues":{":v":${value}}}`,
          signing,
        }),
      ),
    );
  });

  it('Kinesis CBOR: random bytes and random CBOR values', async () => {
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      // {"a": [[[…]]]} nested up to 20,000 levels.
      fc
        .integer({ min: 1, max: 20_000 })
        .map((depth) => Buffer.concat([Buffer.from([0xa1, 0x61, 0x61]), Buffer.alloc(depth, 0x81), Buffer.from([0])])),
      fc.jsonValue().map((v) => cbor.serialize(v)),
      fc
        .dictionary(fc.constantFrom('StreamName', 'Data', 'Records', 'ShardId', 'Limit'), fc.jsonValue())
        .map((v) => cbor.serialize(v)),
    );
    await batch(
      fc
        .record({ op: fc.constantFrom(...JSON_TARGETS.filter((t) => t.startsWith('Kinesis'))), body, signing })
        .map(({ op, body, signing }) =>
          request('cbor', 'kinesis', {
            method: 'POST',
            target: '/',
            headers: { 'x-amz-target': op, 'content-type': 'application/x-amz-cbor-1.1' },
            body,
            signing,
          }),
        ),
    );
  });

  it('SQS query protocol: bad actions, parameter names and values', async () => {
    const pair = fc.tuple(
      fc.constantFrom(...SQS_QUERY_KEYS),
      fc.oneof(fc.string(), fc.constantFrom('%zz', '-1', '1e0')),
    );
    await batch(
      fc
        .record({
          action: fc.oneof(
            fc.constantFrom('SendMessage', 'ReceiveMessage', 'CreateQueue', 'constructor', '__proto__'),
            fc.string(),
          ),
          pairs: fc.array(pair, { maxLength: 8 }),
          signing,
        })
        .map(({ action, pairs, signing }) => {
          const form = [
            `Action=${encodeURIComponent(action)}`,
            ...pairs.map(([k, v]) => `${k}=${v.startsWith('%') ? v : encodeURIComponent(v)}`),
          ];
          return request('sqs-query', 'sqs', {
            method: 'POST',
            target: '/000000000000/fuzz',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: form.join('&'),
            signing,
          });
        }),
    );
  });

  it('S3: hostile bucket names, keys, queries, headers and documents', async () => {
    await batch(
      fc
        .record({
          method: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD'),
          bucket: fc.oneof(fc.constant('fuzz'), fc.constant('fuzz'), hostileName),
          key: fc.oneof(fc.constant('obj'), fc.constant(''), hostileKey),
          query: fc.constantFrom(...S3_QUERIES),
          header: fc.constantFrom(...S3_HEADERS),
          body: fc.option(fc.oneof(hostileXml, fc.string()), { nil: undefined }),
          signing,
        })
        .map(({ method, bucket, key, query, header, body, signing }) =>
          request('s3', 's3', {
            method,
            target: `/${bucket}${key ? `/${key}` : ''}${query}`,
            headers: header,
            body: method === 'GET' || method === 'HEAD' ? undefined : body,
            signing,
          }),
        ),
    );
  });

  it('native API and function URLs: hostile segments and bodies', async () => {
    await batch(
      fc
        .record({
          method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
          path: fc.constantFrom(...NATIVE_PATHS),
          name: hostileName,
          body: fc.option(hostileJsonBody, { nil: undefined }),
        })
        .map(({ method, path, name, body }) =>
          request(path.startsWith('/_lambdata/url') ? 'url' : 'native', 'none', {
            method,
            target: path.replaceAll('{name}', name),
            headers: { 'content-type': 'application/json' },
            body,
            signing: 'none',
          }),
        ),
    );
  });

  it('named regressions: prototype operations, // targets, 20,000 parts, PartNumber 1e0, a.-b, garbage after a signature', async () => {
    const json = (target: string, body: string): HostileRequest =>
      request('json', 'dynamodb', {
        method: 'POST',
        target: '/',
        headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.0' },
        body,
        signing: 'valid',
      });
    for (const op of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      for (const prefix of ['DynamoDB_20120810', 'DynamoDBStreams_20120810', 'Kinesis_20131202', 'AmazonSQS']) {
        const answer = await sendRaw(server.port, json(`${prefix}.${op}`, '{}'));
        expect(answer.status, `${prefix}.${op}`).toBe(400);
        expect(answer.body.toString()).not.toContain(dataDir);
      }
    }
    for (const body of ['null', '[]', '"x"', '7', '{"TableName":5}']) {
      expect((await sendRaw(server.port, json('DynamoDB_20120810.GetItem', body))).status, body).toBe(400);
    }
    for (const target of [
      '//',
      '//fuzz/obj',
      '/%zz',
      '/fuzz/%zz',
      '/2015-03-31/functions/%zz',
      '/_lambdata/ui/%zz',
      '/_lambdata/queues/%E0%A4%A',
    ]) {
      const answer = await sendRaw(
        server.port,
        request('s3', 's3', { method: 'GET', target, headers: {}, signing: 'valid' }),
      );
      expect(answer.status, target).toBeGreaterThanOrEqual(400);
      expect(answer.status, target).toBeLessThan(500);
    }
    const s3 = (method: string, target: string, body?: string): HostileRequest =>
      request('s3', 's3', { method, target, headers: {}, body, signing: 'valid' });
    const created = await sendRaw(server.port, s3('POST', '/fuzz/big?uploads'));
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body.toString())?.[1] ?? '';
    let parts = '';
    for (let i = 1; i <= 20_000; i++)
      parts += `<Part><PartNumber>${i}</PartNumber><ETag>"0123456789abcdef0123456789abcdef"</ETag></Part>`;
    const started = performance.now();
    const completed = await sendRaw(
      server.port,
      s3('POST', `/fuzz/big?uploadId=${uploadId}`, `<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`),
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(completed.body.toString()).toContain('<Code>MalformedXML</Code>');
    for (const n of ['1e0', '+1', '01', '0', '10001', '1.0', ' 1']) {
      const part = await sendRaw(
        server.port,
        s3('PUT', `/fuzz/big?partNumber=${encodeURIComponent(n)}&uploadId=${uploadId}`, 'x'),
      );
      expect(part.body.toString(), n).toContain('<Code>InvalidArgument</Code>');
    }
    for (const name of ['a.-b', 'a-.b', 'a..b', '192.168.0.1']) {
      expect((await sendRaw(server.port, s3('PUT', `/${name}`))).body.toString(), name).toContain(
        '<Code>InvalidBucketName</Code>',
      );
    }
    const garbage = await sendRaw(server.port, { ...s3('GET', '/fuzz/obj'), signing: 'garbage' });
    expect(garbage.status).toBe(400);
    expect(garbage.body.toString()).toContain('<Code>AuthorizationHeaderMalformed</Code>');
  });

  it('writes nothing outside the data dir, and nothing escapes it by key', async () => {
    for (const key of [`../../${MARKER}`, `..%2F..%2F${MARKER}`, `%2e%2e/%2e%2e/${MARKER}`, `a/../../../${MARKER}`]) {
      await sendRaw(
        server.port,
        request('s3', 's3', { method: 'PUT', target: `/fuzz/${key}`, headers: {}, body: 'x', signing: 'valid' }),
      );
    }
    expect(await snapshotTree(parent, dataDir)).toEqual(before);
    expect(existsSync(join(tmpdir(), MARKER))).toBe(false);
    expect(existsSync(join(parent, MARKER))).toBe(false);
  });
});
