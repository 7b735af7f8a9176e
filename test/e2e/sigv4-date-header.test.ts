import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { fixturePath } from '../helpers/fixtures.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const run = promisify(execFile);

describe('SigV4 dated by the Date header (no X-Amz-Date), signed by botocore', () => {
  let serve: ServeProcess;
  let s3: S3Client;

  /** One request signed by botocore with the Date header; its status and body. */
  async function dateSigned(...args: string[]): Promise<{ status: number; body: string }> {
    const { stdout } = await run('python3', [fixturePath('s3/date-signed.py'), serve.url, ...args], {
      env: { PATH: process.env.PATH ?? '' },
    });
    const [status = '', ...body] = stdout.split('\n');
    return { status: Number(status), body: body.join('\n').trim() };
  }

  beforeAll(async () => {
    serve = await startServe('sigv4-date');
    s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: serve.url, forcePathStyle: true, maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: 'dated' }));
  });
  afterAll(async () => {
    await serve?.close();
  });

  it('accepts an S3 PUT and GET signed over the Date header', async () => {
    const put = await dateSigned('s3', 'PUT', '/dated/hello.txt', 'hello, Date');
    expect(put.status).toBe(200);
    const object = await s3.send(new GetObjectCommand({ Bucket: 'dated', Key: 'hello.txt' }));
    expect(await object.Body?.transformToString()).toBe('hello, Date');
    const get = await dateSigned('s3', 'GET', '/dated/hello.txt');
    expect(get).toEqual({ status: 200, body: 'hello, Date' });
  });

  it('accepts a JSON service request (DynamoDB ListTables) signed over the Date header', async () => {
    const listed = await dateSigned('dynamodb', 'POST', '/', '{}', '--target', 'DynamoDB_20120810.ListTables');
    expect(listed.status).toBe(200);
    expect(JSON.parse(listed.body)).toEqual({ TableNames: [] });
  });

  it('refuses a wrong secret, and a Date changed after signing, with SignatureDoesNotMatch', async () => {
    const wrong = await dateSigned('s3', 'GET', '/dated/hello.txt', '', '--secret', 'not-the-secret');
    expect(wrong.status).toBe(403);
    expect(wrong.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    const later = new Date(Date.now() + 60_000).toUTCString();
    const redated = await dateSigned('s3', 'GET', '/dated/hello.txt', '', '--date', later);
    expect(redated.status).toBe(403);
    expect(redated.body).toContain('<Code>SignatureDoesNotMatch</Code>');
  });
});
