import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runLambdata } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { changeLines, copyTemplateFixture } from '../helpers/templates.js';

let t: TestServer;
let s3: S3Client;
const copies: Array<{ remove(): void }> = [];

beforeAll(async () => {
  t = await startTestServer('templates-sam');
  s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: t.url, forcePathStyle: true });
});

afterAll(async () => {
  s3?.destroy();
  await t?.close();
  for (const copy of copies) copy.remove();
});

function fixture(name: string): string {
  const copy = copyTemplateFixture(name);
  copies.push(copy);
  return copy.dir;
}

/** The object's body, or undefined while it does not exist. */
async function bodyOf(bucket: string, key: string): Promise<string | undefined> {
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await got.Body?.transformToString();
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

async function waitForBody(bucket: string, key: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = await bodyOf(bucket, key);
    if (body !== undefined) return body;
    if (Date.now() > deadline) throw new Error(`${bucket}/${key} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('lambdata deploy --template (SAM)', () => {
  let thumbnailDir: string;
  /** `lambdata deploy` of the thumbnail fixture's template as stack `photos`, with `extra` options. */
  const deployPhotos = (...extra: string[]) =>
    runLambdata(t.url, 'deploy', '--template', join(thumbnailDir, 'template.yaml'), '--stack-name', 'photos', ...extra);

  it('deploys an S3-triggered thumbnail function that writes a derived object on upload', async () => {
    thumbnailDir = fixture('thumbnail');
    const out = await deployPhotos();
    expect(out.stderr).toMatch(/warning: Resources\.ThumbnailFunction: Layers are ignored/);
    expect(out.stderr).toMatch(/warning: Not deployed .*ThumbnailRole \(AWS::IAM::Role\)/);
    expect(out.code).toBe(0);
    expect(changeLines(out.stdout)).toEqual(
      expect.arrayContaining([
        'created bucket photos-uploads-dev',
        'created bucket photos-thumbnailbucket',
        'created function photos-ThumbnailFunction',
        'created function photos-AuditFunction',
        'created notification photos-uploads-dev',
      ]),
    );

    await s3.send(new PutObjectCommand({ Bucket: 'photos-uploads-dev', Key: 'photos/cat.jpg', Body: 'JPEGDATA-cat' }));
    const thumbnail = JSON.parse(await waitForBody('photos-thumbnailbucket', 'thumbnails/cat.jpg.json'));
    expect(thumbnail).toEqual({
      source: 'photos-uploads-dev/photos/cat.jpg',
      size: 12,
      width: 64,
      head: Buffer.from('JPEGDATA').toString('hex'),
      label: 'photos-thumb-us-east-1',
      stage: 'dev',
      memory: 256,
    });
    expect(await waitForBody('photos-uploads-dev', 'audit/photos/cat.jpg')).toBe('ObjectCreated:Put');
  });

  it('redeploys idempotently: nothing changes, then only the memory, then a removed function is deleted and data kept', async () => {
    const template = join(thumbnailDir, 'template.yaml');
    const again = await deployPhotos();
    expect(again.code).toBe(0);
    const lines = changeLines(again.stdout);
    expect(lines.length).toBeGreaterThan(4);
    expect(lines.filter((line) => !line.startsWith('unchanged '))).toEqual([]);
    const revision = t.engine.functions.get('photos-ThumbnailFunction').revisionId;

    const bigger = await deployPhotos('--parameter-overrides', 'Memory=512');
    expect(bigger.code).toBe(0);
    expect(changeLines(bigger.stdout).filter((line) => !line.startsWith('unchanged '))).toEqual([
      'updated function photos-ThumbnailFunction',
    ]);
    const fn = t.engine.functions.get('photos-ThumbnailFunction');
    expect(fn.memoryMb).toBe(512);
    expect(fn.revisionId).not.toBe(revision);
    await s3.send(new PutObjectCommand({ Bucket: 'photos-uploads-dev', Key: 'photos/dog.jpg', Body: 'JPEGDATA-dog!' }));
    expect(JSON.parse(await waitForBody('photos-thumbnailbucket', 'thumbnails/dog.jpg.json')).memory).toBe(512);

    // The audit function leaves the template: it and its notification go, the buckets and their objects stay.
    const text = readFileSync(template, 'utf8');
    const start = text.indexOf('  AuditFunction:');
    const end = text.indexOf('  ThumbnailRole:');
    writeFileSync(template, text.slice(0, start) + text.slice(end));
    const smaller = await deployPhotos('--parameter-overrides', 'Memory=512');
    expect(smaller.code).toBe(0);
    expect(changeLines(smaller.stdout).filter((line) => !line.startsWith('unchanged '))).toEqual([
      'updated notification photos-uploads-dev',
      'deleted function photos-AuditFunction',
    ]);
    expect(t.engine.functions.has('photos-AuditFunction')).toBe(false);
    const config = t.engine.notifications.getConfiguration('photos-uploads-dev');
    expect(config.lambdaFunctionConfigurations.map((c) => c.functionArn)).toEqual([
      t.engine.functions.get('photos-ThumbnailFunction').arn,
    ]);
    const kept = await s3.send(new ListObjectsV2Command({ Bucket: 'photos-uploads-dev' }));
    expect(kept.Contents?.map((o) => o.Key)).toEqual(
      expect.arrayContaining(['photos/cat.jpg', 'photos/dog.jpg', 'audit/photos/cat.jpg']),
    );

    const ls = await runLambdata(t.url, 'stacks', 'ls');
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^photos\s+sam\s+photos-ThumbnailFunction\s+2\s/m);
  });

  it('deploys a Kinesis consumer that counts records into a DynamoDB table', async () => {
    const out = await runLambdata(
      t.url,
      'deploy',
      '--template',
      join(fixture('stream-to-table'), 'template.yaml'),
      '--stack-name',
      'clicks',
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(changeLines(out.stdout)).toEqual(
      expect.arrayContaining([
        'created stream clicks-clicks',
        'created table clicks-page-counts',
        'created function clicks-Consumer',
        'created mapping clicks-Consumer ← stream clicks-clicks',
      ]),
    );
    expect(t.engine.functions.settings('clicks-Consumer').reservedConcurrency).toBe(2);
    const kinesis = new KinesisClient({ ...AWS_TEST_CONFIG, endpoint: t.url });
    const ddb = new DynamoDBClient({ ...AWS_TEST_CONFIG, endpoint: t.url });
    try {
      const pages = ['/', '/', '/about', '/', '/pricing', '/about'];
      await kinesis.send(
        new PutRecordsCommand({
          StreamName: 'clicks-clicks',
          Records: pages.map((page, i) => ({ Data: Buffer.from(JSON.stringify({ page })), PartitionKey: `user-${i}` })),
        }),
      );
      let counts: Record<string, number> = {};
      const deadline = Date.now() + 30_000;
      while (Object.values(counts).reduce((a, b) => a + b, 0) < pages.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        const scan = await ddb.send(new ScanCommand({ TableName: 'clicks-page-counts' }));
        counts = Object.fromEntries((scan.Items ?? []).map((item) => [item.page?.S, Number(item.hits?.N)]));
      }
      expect(counts).toEqual({ '/': 3, '/about': 2, '/pricing': 1 });
    } finally {
      kinesis.destroy();
      ddb.destroy();
    }
  });

  it('serves an HttpApi function on its function URL', async () => {
    const out = await runLambdata(
      t.url,
      'deploy',
      '--template',
      join(fixture('api'), 'template.yaml'),
      '--stack-name',
      'web',
      '--parameter-overrides',
      'Language=fr',
    );
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/HttpApi events are served on the function's URL/);
    const url = /^url web-hello (\S+)$/m.exec(out.stdout)?.[1];
    expect(url).toBe(`${t.url}/_lambdata/url/web-hello/`);
    expect(out.stdout).toMatch(new RegExp(`^output Url ${url}$`, 'm'));
    const res = await fetch(`${url}hello?name=Ada`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'Bonjour, Ada', path: '/hello', method: 'GET', debug: null });
  });
});
