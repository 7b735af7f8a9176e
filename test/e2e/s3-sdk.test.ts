import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketCorsCommand,
  GetBucketLocationCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/index.js';
import { startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';

const NOOP_FUNCTION = fileURLToPath(new URL('../fixtures/s3/noop', import.meta.url));
let dataDir: string;
let engine: Engine;
let server: RunningServer;
let s3: S3Client;

function client(secretAccessKey = 'test', extra: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client {
  return new S3Client({
    endpoint: server.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey },
    ...extra,
  });
}

async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as { name?: string; Code?: string }).name;
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'lambdata-s3-sdk-'));
  engine = await createEngine({ dataDir, background: false });
  server = await startServer(engine, { port: 0 });
  s3 = client();
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
  await engine?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('buckets', () => {
  it('creates, lists, heads and deletes buckets with S3 errors for the wrong cases', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'life' }));
    await s3.send(
      new CreateBucketCommand({ Bucket: 'life-eu', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
    );
    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    expect(Buckets?.map((b) => b.Name)).toEqual(expect.arrayContaining(['life', 'life-eu']));
    await s3.send(new HeadBucketCommand({ Bucket: 'life' }));
    expect(await errorCode(s3.send(new HeadBucketCommand({ Bucket: 'missing' })))).toBe('NotFound');
    // us-east-1 answers 200 to creating a bucket you already own (other regions: BucketAlreadyOwnedByYou).
    expect(await errorCode(s3.send(new CreateBucketCommand({ Bucket: 'life' })))).toBeUndefined();
    expect(await errorCode(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).toBe('InvalidBucketName');
    await s3.send(new PutObjectCommand({ Bucket: 'life', Key: 'k', Body: 'x' }));
    expect(await errorCode(s3.send(new DeleteBucketCommand({ Bucket: 'life' })))).toBe('BucketNotEmpty');
    await s3.send(new DeleteObjectCommand({ Bucket: 'life', Key: 'k' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'life' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'life-eu' }));
    expect(await errorCode(s3.send(new DeleteBucketCommand({ Bucket: 'life' })))).toBe('NoSuchBucket');
  });
});

describe('objects', () => {
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'obj' }));
  });

  it('puts (default aws-chunked CRC32 trailer), gets, heads and deletes with metadata', async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'obj',
        Key: 'dir/hello.txt',
        Body: 'hello world',
        ContentType: 'text/plain',
        Metadata: { owner: 'ana' },
      }),
    );
    expect(put.ETag).toBe('"5eb63bbbe01eeed093cb22bb8f5acdc3"');
    expect(put.ChecksumCRC32).toBe('DUoRhQ==');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'obj', Key: 'dir/hello.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello world');
    expect(got.ContentType).toBe('text/plain');
    expect(got.Metadata).toEqual({ owner: 'ana' });
    expect(got.ContentLength).toBe(11);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'obj', Key: 'dir/hello.txt' }));
    expect(head.ETag).toBe(put.ETag);
    expect(head.LastModified).toBeInstanceOf(Date);
    await s3.send(new DeleteObjectCommand({ Bucket: 'obj', Key: 'dir/hello.txt' }));
    expect(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'obj', Key: 'dir/hello.txt' })))).toBe('NoSuchKey');
    expect(await errorCode(s3.send(new HeadObjectCommand({ Bucket: 'obj', Key: 'dir/hello.txt' })))).toBe('NotFound');
    expect(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'nobucket', Key: 'x' })))).toBe('NoSuchBucket');
  });

  it('streams a body without checksums and with an explicit SHA-256 checksum', async () => {
    const plain = client('test', { requestChecksumCalculation: 'WHEN_REQUIRED' });
    await plain.send(new PutObjectCommand({ Bucket: 'obj', Key: 'plain', Body: Buffer.alloc(70_000, 7) }));
    plain.destroy();
    const sha = await s3.send(
      new PutObjectCommand({ Bucket: 'obj', Key: 'sha', Body: 'abc', ChecksumAlgorithm: 'SHA256' }),
    );
    expect(sha.ChecksumSHA256).toBe('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'obj', Key: 'plain' }));
    expect(head.ContentLength).toBe(70_000);
  });

  it('rejects a body whose declared checksum does not match (BadDigest)', async () => {
    const code = await errorCode(
      s3.send(new PutObjectCommand({ Bucket: 'obj', Key: 'bad', Body: 'abc', ChecksumCRC32: 'AAAAAA==' })),
    );
    expect(code).toBe('BadDigest');
    expect(await errorCode(s3.send(new HeadObjectCommand({ Bucket: 'obj', Key: 'bad' })))).toBe('NotFound');
  });

  it('serves ranges (206), conditional requests (304/412) and response overrides', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'obj', Key: 'digits', Body: '0123456789' }));
    const part = await s3.send(new GetObjectCommand({ Bucket: 'obj', Key: 'digits', Range: 'bytes=2-5' }));
    expect(await part.Body?.transformToString()).toBe('2345');
    expect(part.ContentRange).toBe('bytes 2-5/10');
    const tail = await s3.send(new GetObjectCommand({ Bucket: 'obj', Key: 'digits', Range: 'bytes=-3' }));
    expect(await tail.Body?.transformToString()).toBe('789');
    expect(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'obj', Key: 'digits', Range: 'bytes=20-30' })))).toBe(
      'InvalidRange',
    );
    const { ETag } = await s3.send(new HeadObjectCommand({ Bucket: 'obj', Key: 'digits' }));
    const notModified = await s3
      .send(new GetObjectCommand({ Bucket: 'obj', Key: 'digits', IfNoneMatch: ETag }))
      .catch((e) => e);
    expect(notModified.$metadata?.httpStatusCode).toBe(304);
    expect(await errorCode(s3.send(new GetObjectCommand({ Bucket: 'obj', Key: 'digits', IfMatch: '"nope"' })))).toBe(
      'PreconditionFailed',
    );
    const overridden = await s3.send(
      new GetObjectCommand({ Bucket: 'obj', Key: 'digits', ResponseContentType: 'text/csv', IfMatch: ETag }),
    );
    expect(overridden.ContentType).toBe('text/csv');
    await overridden.Body?.transformToString();
  });

  it('copies with COPY and REPLACE metadata directives', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'obj',
        Key: 'src key+1',
        Body: 'copy me',
        Metadata: { a: '1' },
        ContentType: 'text/x',
      }),
    );
    const copied = await s3.send(
      new CopyObjectCommand({ Bucket: 'obj', Key: 'dst1', CopySource: 'obj/src%20key%2B1' }),
    );
    expect(copied.CopyObjectResult?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const same = await s3.send(new HeadObjectCommand({ Bucket: 'obj', Key: 'dst1' }));
    expect(same.Metadata).toEqual({ a: '1' });
    expect(same.ContentType).toBe('text/x');
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'obj',
        Key: 'dst2',
        CopySource: 'obj/src%20key%2B1',
        MetadataDirective: 'REPLACE',
        Metadata: { b: '2' },
        ContentType: 'text/y',
      }),
    );
    const replaced = await s3.send(new GetObjectCommand({ Bucket: 'obj', Key: 'dst2' }));
    expect(replaced.Metadata).toEqual({ b: '2' });
    expect(await replaced.Body?.transformToString()).toBe('copy me');
  });

  it('deletes in batches, reporting every key (and only errors when quiet)', async () => {
    for (const key of ['b1', 'b2', 'b3']) await s3.send(new PutObjectCommand({ Bucket: 'obj', Key: key, Body: key }));
    const loud = await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'obj',
        Delete: { Objects: [{ Key: 'b1' }, { Key: 'b2' }, { Key: 'never' }] },
      }),
    );
    expect(loud.Deleted?.map((d) => d.Key).sort()).toEqual(['b1', 'b2', 'never']);
    const quiet = await s3.send(
      new DeleteObjectsCommand({ Bucket: 'obj', Delete: { Objects: [{ Key: 'b3' }], Quiet: true } }),
    );
    expect(quiet.Deleted ?? []).toEqual([]);
    expect(await errorCode(s3.send(new HeadObjectCommand({ Bucket: 'obj', Key: 'b3' })))).toBe('NotFound');
  });

  it('keeps hostile keys exactly as sent', async () => {
    const keys = [
      '../x',
      'a/../b',
      'with%2Fescaped',
      'ünïcødé/日本語 🎉',
      'sp ace+plus?&=#',
      'k'.repeat(1024),
      'trail/',
    ];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: 'obj', Key: key, Body: key }));
    for (const key of keys) {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'obj', Key: key }));
      expect(await got.Body?.transformToString()).toBe(key);
    }
    expect(await errorCode(s3.send(new PutObjectCommand({ Bucket: 'obj', Key: 'k'.repeat(1025), Body: 'x' })))).toBe(
      'KeyTooLongError',
    );
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'obj', Prefix: 'ünïcødé/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['ünïcødé/日本語 🎉']);
    const encoded = await s3.send(new ListObjectsV2Command({ Bucket: 'obj', Prefix: 'sp ace', EncodingType: 'url' }));
    // SDK v3 leaves url-encoded keys as sent (percent-encoding, a space as %20, as S3 does).
    expect(encoded.Contents?.map((c) => c.Key)).toEqual(['sp%20ace%2Bplus%3F%26%3D%23']);
  });
});

describe('listing', () => {
  const keys = ['a/1', 'a/2', 'a/b/3', 'b/4', 'c', 'd/5', 'd/6', 'e'];

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'list' }));
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: 'list', Key: key, Body: key }));
  });

  it('pages ListObjectsV2 with continuation tokens', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: 'list', MaxKeys: 3, ContinuationToken: token }));
      seen.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
      expect(page.KeyCount).toBe(page.Contents?.length ?? 0);
      token = page.NextContinuationToken;
      pages++;
    } while (token);
    expect(seen).toEqual(keys);
    expect(pages).toBe(3);
  });

  it('groups by delimiter and resumes after common prefixes', async () => {
    const all: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: 'list', Delimiter: '/', MaxKeys: 2, ContinuationToken: token }),
      );
      all.push(
        ...(page.CommonPrefixes ?? []).map((p) => `P:${p.Prefix}`),
        ...(page.Contents ?? []).map((c) => c.Key ?? ''),
      );
      token = page.NextContinuationToken;
    } while (token);
    expect(all.sort()).toEqual(['P:a/', 'P:b/', 'P:d/', 'c', 'e']);
    const sub = await s3.send(new ListObjectsV2Command({ Bucket: 'list', Prefix: 'a/', Delimiter: '/' }));
    expect(sub.Contents?.map((c) => c.Key)).toEqual(['a/1', 'a/2']);
    expect(sub.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/b/']);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: 'list', StartAfter: 'd/5' }));
    expect(after.Contents?.map((c) => c.Key)).toEqual(['d/6', 'e']);
  });

  it('pages ListObjects v1 with Marker and NextMarker', async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await s3.send(new ListObjectsCommand({ Bucket: 'list', MaxKeys: 3, Marker: marker }));
      seen.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
      if (!page.IsTruncated) break;
      marker = page.NextMarker ?? page.Contents?.at(-1)?.Key;
    }
    expect(seen).toEqual(keys);
  });

  it('answers NoSuchBucket for a missing bucket', async () => {
    expect(await errorCode(s3.send(new ListObjectsV2Command({ Bucket: 'nolist' })))).toBe('NoSuchBucket');
  });
});

describe('multipart', () => {
  it('uploads parts, lists them, completes, and aborts another upload', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'mpu' }));
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'big', ContentType: 'x/y' }),
    );
    const first = Buffer.alloc(5 * 1024 * 1024, 'a');
    const second = Buffer.from('tail');
    const p1 = await s3.send(
      new UploadPartCommand({ Bucket: 'mpu', Key: 'big', UploadId, PartNumber: 1, Body: first }),
    );
    const p2 = await s3.send(
      new UploadPartCommand({ Bucket: 'mpu', Key: 'big', UploadId, PartNumber: 2, Body: second }),
    );
    const listed = await s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'big', UploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([
      [1, first.length],
      [2, 4],
    ]);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'mpu' }));
    expect(uploads.Uploads?.map((u) => u.UploadId)).toEqual([UploadId]);
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'mpu',
        Key: 'big',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    expect(done.ETag).toMatch(/-2"$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'mpu', Key: 'big' }));
    expect(head.ContentLength).toBe(first.length + 4);
    expect(head.ContentType).toBe('x/y');
    const end = await s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'big', Range: `bytes=${first.length - 1}-` }));
    expect(await end.Body?.transformToString()).toBe('atail');

    const copy = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'copied' }));
    const copied = await s3.send(
      new UploadPartCopyCommand({
        Bucket: 'mpu',
        Key: 'copied',
        UploadId: copy.UploadId,
        PartNumber: 1,
        CopySource: 'mpu/big',
        CopySourceRange: `bytes=${first.length - 2}-${first.length + 3}`,
      }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'mpu',
        Key: 'copied',
        UploadId: copy.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: copied.CopyPartResult?.ETag }] },
      }),
    );
    const copiedBody = await s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'copied' }));
    expect(await copiedBody.Body?.transformToString()).toBe('aatail');

    const other = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'gone' }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'gone', UploadId: other.UploadId }));
    expect(
      await errorCode(s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'gone', UploadId: other.UploadId }))),
    ).toBe('NoSuchUpload');
  });
});

describe('configuration', () => {
  it('round-trips Lambda notification configurations with key filters', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'notes' }));
    await engine.functions.create({ name: 'thumbs', handler: 'index.handler', code: { dir: NOOP_FUNCTION } });
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:thumbs';
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: 'notes',
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [
            {
              Id: 'images',
              LambdaFunctionArn: arn,
              Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:Delete'],
              Filter: {
                Key: {
                  FilterRules: [
                    { Name: 'prefix', Value: 'in/' },
                    { Name: 'suffix', Value: '.jpg' },
                  ],
                },
              },
            },
          ],
        },
      }),
    );
    expect(engine.notifications.getConfiguration('notes').lambdaFunctionConfigurations).toMatchObject([
      { id: 'images', functionArn: arn, filter: { prefix: 'in/', suffix: '.jpg' } },
    ]);
    const got = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: 'notes' }));
    expect(got.LambdaFunctionConfigurations).toEqual([
      {
        Id: 'images',
        LambdaFunctionArn: arn,
        Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:Delete'],
        Filter: {
          Key: {
            FilterRules: [
              { Name: 'Prefix', Value: 'in/' },
              { Name: 'Suffix', Value: '.jpg' },
            ],
          },
        },
      },
    ]);
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: 'notes', NotificationConfiguration: {} }));
    const cleared = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: 'notes' }));
    expect(cleared.LambdaFunctionConfigurations ?? []).toEqual([]);
  });

  it('answers location, versioning and "not configured" sub-resources', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'conf' }));
    const location = await s3.send(new GetBucketLocationCommand({ Bucket: 'conf' }));
    expect(location.LocationConstraint ?? '').toBe('');
    const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: 'conf' }));
    expect(versioning.Status).toBeUndefined();
    expect(await errorCode(s3.send(new GetBucketCorsCommand({ Bucket: 'conf' })))).toBe('NoSuchCORSConfiguration');
  });
});

describe('authentication', () => {
  it('rejects a wrong secret, an unknown key and unsigned requests', async () => {
    const wrong = client('not-the-secret');
    expect(await errorCode(wrong.send(new ListBucketsCommand({})))).toBe('SignatureDoesNotMatch');
    expect(await errorCode(wrong.send(new PutObjectCommand({ Bucket: 'obj', Key: 'w', Body: 'w' })))).toBe(
      'SignatureDoesNotMatch',
    );
    wrong.destroy();
    const stranger = new S3Client({
      endpoint: server.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'test' },
    });
    expect(await errorCode(stranger.send(new ListBucketsCommand({})))).toBe('InvalidAccessKeyId');
    stranger.destroy();
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AccessDenied</Code>');
    expect(res.headers.get('x-amz-request-id')).toBeTruthy();
  });

  it('accepts unsigned requests only when the server allows anonymous access', async () => {
    const open = await startServer(engine, { port: 0, anonymous: true });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'public' }));
      await s3.send(new PutObjectCommand({ Bucket: 'public', Key: 'hello', Body: 'hi there' }));
      const res = await fetch(`${open.url}/public/hello`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('hi there');
      const wrong = client('wrong', { endpoint: open.url });
      expect(await errorCode(wrong.send(new ListBucketsCommand({})))).toBe('SignatureDoesNotMatch');
      wrong.destroy();
    } finally {
      await open.close();
      engine.setEndpoint(server.url);
    }
  });

  it('serves presigned GET URLs until they expire', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'presign' }));
    await s3.send(new PutObjectCommand({ Bucket: 'presign', Key: 'a b/c.txt', Body: 'presigned body' }));
    const signer = new SignatureV4({
      service: 's3',
      region: 'us-east-1',
      sha256: Sha256,
      uriEscapePath: false,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const target = new URL(server.url);
    const presign = (signingDate: Date, key = 'test') =>
      new SignatureV4({
        service: 's3',
        region: 'us-east-1',
        sha256: Sha256,
        uriEscapePath: false,
        credentials: { accessKeyId: 'test', secretAccessKey: key },
      }).presign(
        {
          method: 'GET',
          protocol: 'http:',
          hostname: target.hostname,
          port: Number(target.port),
          path: '/presign/a%20b/c.txt',
          query: {},
          // As @aws-sdk/s3-request-presigner does: S3 presigned URLs never sign the payload.
          headers: { host: target.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
        },
        { expiresIn: 60, signingDate },
      );
    const toUrl = (req: Awaited<ReturnType<typeof signer.presign>>) =>
      `${server.url}${req.path}?${new URLSearchParams(req.query as Record<string, string>).toString()}`;
    const fresh = await fetch(toUrl(await presign(new Date())));
    expect(fresh.status).toBe(200);
    expect(await fresh.text()).toBe('presigned body');
    const expired = await fetch(toUrl(await presign(new Date(Date.now() - 120_000))));
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('<Code>AccessDenied</Code>');
    const forged = await fetch(toUrl(await presign(new Date(), 'wrong')));
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('accepts virtual-hosted requests by Host header', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'vhost' }));
    await s3.send(new PutObjectCommand({ Bucket: 'vhost', Key: 'v/k', Body: 'virtual' }));
    const signer = client('test', { forcePathStyle: false, endpoint: `http://localhost:${server.port}` });
    // bucket.localhost may not resolve here: send the signed request ourselves with the virtual Host.
    signer.middlewareStack.add(
      () => async (args) => {
        const req = (
          args as {
            request: { hostname: string; path: string; query: Record<string, string>; headers: Record<string, string> };
          }
        ).request;
        const search = new URLSearchParams(req.query).toString();
        const body = await new Promise<string>((resolve, reject) => {
          const r = request(
            {
              host: '127.0.0.1',
              port: server.port,
              path: `${req.path}${search ? `?${search}` : ''}`,
              headers: req.headers,
            },
            (res) => {
              let text = '';
              res.on('data', (c) => (text += c));
              res.on('end', () => resolve(`${res.statusCode} ${text}`));
            },
          );
          r.on('error', reject);
          r.end();
        });
        throw new Error(`VHOST ${req.hostname} ${body}`);
      },
      { step: 'finalizeRequest', priority: 'low' },
    );
    const message = await signer
      .send(new GetObjectCommand({ Bucket: 'vhost', Key: 'v/k' }))
      .catch((err: Error) => err.message);
    expect(message).toBe('VHOST vhost.localhost 200 virtual');
    signer.destroy();
  });
});
