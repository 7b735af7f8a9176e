import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  DeleteObjectTaggingCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/index.js';
import type { Engine } from '../../src/engine.js';
import { bodyText, type S3Harness, sdkFailure, startS3Harness } from '../helpers/s3-harness.js';

// Each `aws` run starts a Python interpreter: seconds apiece on a loaded machine.
const CLI_TIMEOUT = 600_000;
const MIB = 1024 * 1024;
let h: S3Harness;
let dir: string;
let engine: Engine;
let server: RunningServer;
let s3: S3Client;
const aws = (...args: string[]) => h.aws(...args);
const awsJson = <T>(...args: string[]) => h.awsJson<T>(...args);
const failure = sdkFailure;
const text = bodyText;

/** Decodes one RFC 2047 B-encoded word, as a client reading S3's non-ASCII metadata does. */
function decodeWord(value: string | undefined): string {
  const match = /^=\?UTF-8\?B\?([^?]*)\?=$/.exec(value ?? '');
  return match ? Buffer.from(match[1] ?? '', 'base64').toString('utf8') : String(value);
}

function signer(secretAccessKey = 'test'): SignatureV4 {
  return new SignatureV4({
    service: 's3',
    region: 'us-east-1',
    sha256: Sha256,
    uriEscapePath: false,
    credentials: { accessKeyId: 'test', secretAccessKey },
  });
}

/** A raw HTTP exchange with the server (headers exactly as given). */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const target = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  h = await startS3Harness('s3-details');
  ({ dir, engine, server, s3 } = h);
  await s3.send(new CreateBucketCommand({ Bucket: 'details' }));
});

afterAll(async () => {
  await h?.close();
});

describe('tagging and headers through the SDK', () => {
  it('stores x-amz-tagging, counts tags on GET, and reads, replaces and removes the tag set', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: 'details', Key: 'tagged', Body: 't', Tagging: 'team=data&stage=raw%20in' }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'details', Key: 'tagged' }));
    expect(got.TagCount).toBe(2);
    await text(got);
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: 'details', Key: 'tagged' }));
    expect(tags.TagSet).toEqual([
      { Key: 'team', Value: 'data' },
      { Key: 'stage', Value: 'raw in' },
    ]);
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: 'details',
        Key: 'tagged',
        Tagging: { TagSet: [{ Key: 'only', Value: 'one' }] },
      }),
    );
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'details', Key: 'tagged' }))).TagCount).toBe(1);
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'details', Key: 'tagged' }))).TagSet).toEqual([
      { Key: 'only', Value: 'one' },
    ]);
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: 'details', Key: 'tagged' }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'details', Key: 'tagged' }))).TagSet ?? []).toEqual([]);
    const tooMany = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    const refused = await failure(
      s3.send(new PutObjectTaggingCommand({ Bucket: 'details', Key: 'tagged', Tagging: { TagSet: tooMany } })),
    );
    expect([refused.name, refused.status]).toEqual(['InvalidTag', 400]);
    const missing = await failure(s3.send(new GetObjectTaggingCommand({ Bucket: 'details', Key: 'nope' })));
    expect(missing.name).toBe('NoSuchKey');
  });

  it('returns every standard header it was given, and non-ASCII metadata as S3 encodes it', async () => {
    const expires = new Date('2030-01-02T03:04:05Z');
    await s3.send(
      new PutObjectCommand({
        Bucket: 'details',
        Key: 'headers',
        Body: 'h',
        Expires: expires,
        CacheControl: 'max-age=60',
        ContentDisposition: 'attachment; filename="h.txt"',
        ContentEncoding: 'identity',
        ContentLanguage: 'de-CH',
        // The SDK sends metadata as header text: non-ASCII goes as an RFC 2047 word, as S3 documents.
        Metadata: { greeting: `=?UTF-8?B?${Buffer.from('grüße').toString('base64')}?=`, plain: 'ascii' },
      }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'details', Key: 'headers' }));
    expect(head.Expires?.toISOString()).toBe(expires.toISOString());
    expect([head.CacheControl, head.ContentDisposition, head.ContentEncoding, head.ContentLanguage]).toEqual([
      'max-age=60',
      'attachment; filename="h.txt"',
      'identity',
      'de-CH',
    ]);
    expect(head.Metadata?.plain).toBe('ascii');
    expect(head.Metadata?.greeting).toMatch(/^=\?UTF-8\?B\?/);
    expect(decodeWord(head.Metadata?.greeting)).toBe('grüße');
    // Raw UTF-8 bytes (signed as UTF-8, as clients sign them) and an RFC 2047 word store the same text.
    const put = await signer().sign({
      method: 'PUT',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: '/details/utf8-meta',
      query: {},
      headers: {
        host: new URL(server.url).host,
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        'x-amz-meta-word': '=?UTF-8?B?5pel5pys6Kqe?=',
        'x-amz-meta-raw': '日本語',
      },
    });
    // Node writes header text one byte per character: the UTF-8 bytes, spelled as latin1, go as they are.
    const sent = {
      ...(put.headers as Record<string, string>),
      'x-amz-meta-raw': Buffer.from('日本語').toString('latin1'),
    };
    const stored = await rawRequest('PUT', '/details/utf8-meta', sent);
    expect(stored.status).toBe(200);
    const meta = (await s3.send(new HeadObjectCommand({ Bucket: 'details', Key: 'utf8-meta' }))).Metadata ?? {};
    expect([decodeWord(meta.word), decodeWord(meta.raw)]).toEqual(['日本語', '日本語']);
  });
});

describe('listing details through the SDK', () => {
  it('url-encodes keys as S3 does, accepts an empty continuation token, and gives NextMarker only with a delimiter', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
    for (const key of ['a b(1).txt', 'dir/x', 'dir/y', 'plus+sign', 'z']) {
      await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: key, Body: key }));
    }
    const encoded = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', EncodingType: 'url', Prefix: 'a b' }));
    expect(encoded.Contents?.map((o) => o.Key)).toEqual(['a%20b%281%29.txt']);
    expect(encoded.Prefix).toBe('a%20b');
    const fromStart = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', ContinuationToken: '' }));
    expect(fromStart.KeyCount).toBe(5);
    expect(fromStart.ContinuationToken).toBe('');

    const plain = await s3.send(new ListObjectsCommand({ Bucket: 'listing', MaxKeys: 2 }));
    expect([plain.IsTruncated, plain.NextMarker]).toEqual([true, undefined]);
    const grouped = await s3.send(new ListObjectsCommand({ Bucket: 'listing', MaxKeys: 2, Delimiter: '/' }));
    expect([grouped.IsTruncated, grouped.NextMarker]).toEqual([true, 'dir/']);
    const rest = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Delimiter: '/', Marker: 'dir/' }));
    expect(rest.Contents?.map((o) => o.Key)).toEqual(['plus+sign', 'z']);
  });
});

describe('multipart details through the SDK', () => {
  it('reads single parts with their count, completes an upload twice and validates copy ranges', async () => {
    const first = Buffer.alloc(5 * MIB, 'a');
    const second = Buffer.from('the tail part');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'details', Key: 'mp' }));
    const p1 = await s3.send(
      new UploadPartCommand({ Bucket: 'details', Key: 'mp', UploadId, PartNumber: 1, Body: first }),
    );
    // The same part uploaded twice at once: both succeed and the one listed afterwards completes.
    const racing = await Promise.all(
      ['racer one', 'racer two'].map((body) =>
        s3.send(new UploadPartCommand({ Bucket: 'details', Key: 'mp', UploadId, PartNumber: 2, Body: body })),
      ),
    );
    const listed = await s3.send(new ListPartsCommand({ Bucket: 'details', Key: 'mp', UploadId }));
    const winner = listed.Parts?.find((p) => p.PartNumber === 2)?.ETag;
    expect(racing.map((r) => r.ETag)).toContain(winner);
    const p2 = await s3.send(
      new UploadPartCommand({ Bucket: 'details', Key: 'mp', UploadId, PartNumber: 2, Body: second }),
    );
    const parts = [
      { PartNumber: 1, ETag: p1.ETag },
      { PartNumber: 2, ETag: p2.ETag },
    ];
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: 'details', Key: 'mp', UploadId, MultipartUpload: { Parts: parts } }),
    );
    const again = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: 'details', Key: 'mp', UploadId, MultipartUpload: { Parts: parts } }),
    );
    expect(again.ETag).toBe(done.ETag);
    // Only the completed object's body is left on disk: no part file of either racer leaked.
    const bucketDir = join(dir, 'data', 'objects', 'details');
    const uploads = readdirSync(bucketDir).includes('uploads') ? readdirSync(join(bucketDir, 'uploads')) : [];
    expect(uploads).toEqual([]);

    const part2 = await s3.send(new GetObjectCommand({ Bucket: 'details', Key: 'mp', PartNumber: 2 }));
    expect([part2.PartsCount, part2.ContentLength, part2.ContentRange]).toEqual([
      2,
      second.length,
      `bytes ${first.length}-${first.length + second.length - 1}/${first.length + second.length}`,
    ]);
    expect(await text(part2)).toBe('the tail part');
    const head1 = await s3.send(new HeadObjectCommand({ Bucket: 'details', Key: 'mp', PartNumber: 1 }));
    expect([head1.PartsCount, head1.ContentLength]).toEqual([2, first.length]);
    const past = await failure(s3.send(new GetObjectCommand({ Bucket: 'details', Key: 'mp', PartNumber: 3 })));
    expect([past.name, past.status]).toEqual(['InvalidPartNumber', 416]);
    await s3.send(new PutObjectCommand({ Bucket: 'details', Key: 'whole', Body: 'written whole' }));
    const whole = await s3.send(new GetObjectCommand({ Bucket: 'details', Key: 'whole', PartNumber: 1 }));
    expect([whole.PartsCount, await text(whole)]).toEqual([undefined, 'written whole']);

    const copy = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'details', Key: 'copied' }));
    const copyPart = (range: string) =>
      s3.send(
        new UploadPartCopyCommand({
          Bucket: 'details',
          Key: 'copied',
          UploadId: copy.UploadId,
          PartNumber: 1,
          CopySource: 'details/whole',
          CopySourceRange: range,
        }),
      );
    for (const bad of ['bytes=0-13', 'bytes=5-2', 'bytes=0-', '0-3']) {
      const refused = await failure(copyPart(bad));
      expect([bad, refused.name, refused.status]).toEqual([bad, 'InvalidArgument', 400]);
    }
    const ok = await copyPart('bytes=0-6');
    expect(ok.CopyPartResult?.ETag).toBe(`"${createHash('md5').update('written').digest('hex')}"`);
  });
});

describe('requests as S3 answers them', () => {
  it('creates a bucket it already owns again (us-east-1), and deletes a key that is one space', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'details' }));
    await s3.send(new PutObjectCommand({ Bucket: 'details', Key: ' ', Body: 'space' }));
    const out = await s3.send(new DeleteObjectsCommand({ Bucket: 'details', Delete: { Objects: [{ Key: ' ' }] } }));
    expect(out.Deleted?.map((d) => d.Key)).toEqual([' ']);
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket: 'details', Key: ' ' })))).status).toBe(404);
  });

  it('bounds presigned expiry, and names missing buckets to anonymous callers', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'details', Key: 'dated', Body: 'dated body' }));
    const host = new URL(server.url).host;
    const presign = (expiresIn: number, signingDate = new Date()) =>
      signer().presign(
        {
          method: 'GET',
          protocol: 'http:',
          hostname: '127.0.0.1',
          path: '/details/dated',
          query: {},
          headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
        },
        { expiresIn, signingDate },
      );
    const url = (req: Awaited<ReturnType<typeof presign>>) =>
      `${server.url}${req.path}?${new URLSearchParams(req.query as Record<string, string>).toString()}`;
    const week = await fetch(url(await presign(604_800)));
    expect(week.status).toBe(200);
    await week.text();
    // The signer refuses to presign past seven days: a client that does anyway is refused by the server.
    const longer = await presign(604_800);
    const tooLong = await fetch(url({ ...longer, query: { ...longer.query, 'X-Amz-Expires': '604801' } }));
    expect(tooLong.status).toBe(400);
    expect(await tooLong.text()).toContain('<Code>AuthorizationQueryParametersError</Code>');
    const expired = await fetch(url(await presign(1, new Date(Date.now() - 60_000))));
    expect(expired.status).toBe(403);
    const body = await expired.text();
    expect(body).toContain('<Code>AccessDenied</Code>');
    expect(body).toContain('<Message>Request has expired</Message>');

    const anonymousMissing = await fetch(`${server.url}/no-such-bucket/key`);
    expect(anonymousMissing.status).toBe(404);
    expect(await anonymousMissing.text()).toContain('<Code>NoSuchBucket</Code>');
    const anonymousExisting = await fetch(`${server.url}/details/dated`);
    expect(anonymousExisting.status).toBe(403);
    await anonymousExisting.text();
  });

  it('refuses keys that are not valid UTF-8 with 400', async () => {
    const put = await signer().sign({
      method: 'PUT',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: '/details/bad%FFkey',
      query: {},
      headers: { host: new URL(server.url).host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const refused = await rawRequest('PUT', '/details/bad%FFkey', put.headers as Record<string, string>);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('<Code>InvalidURI</Code>');
    const { Contents } = await s3.send(new ListObjectsV2Command({ Bucket: 'details', Prefix: 'bad' }));
    expect(Contents ?? []).toEqual([]);
  });
});

describe('the same behaviours through the AWS CLI', () => {
  it(
    'tags and headers on put-object, put/delete-object-tagging, a part read and a repeated create-bucket',
    async () => {
      await aws('s3api', 'create-bucket', '--bucket', 'cli-details');
      await aws('s3api', 'create-bucket', '--bucket', 'cli-details');
      const file = join(dir, 'cli-body.txt');
      await writeFile(file, 'cli body');
      await aws(
        's3api',
        'put-object',
        '--bucket',
        'cli-details',
        '--key',
        'my file(1).txt',
        '--body',
        file,
        '--tagging',
        'team=data',
        '--expires',
        '2030-01-02T03:04:05Z',
        '--content-language',
        'fr',
        '--cache-control',
        'no-cache',
      );
      expect(engine.objects.getObjectTagging('cli-details', 'my file(1).txt').tags).toEqual([
        { key: 'team', value: 'data' },
      ]);
      await aws(
        's3api',
        'put-object-tagging',
        '--bucket',
        'cli-details',
        '--key',
        'my file(1).txt',
        '--tagging',
        'TagSet=[{Key=a,Value=1},{Key=b,Value=2}]',
      );
      const out = join(dir, 'part1.out');
      const part = await awsJson<{
        ContentLength: number;
        TagCount?: number;
        Expires?: string;
        ContentLanguage?: string;
        CacheControl?: string;
      }>('s3api', 'get-object', '--bucket', 'cli-details', '--key', 'my file(1).txt', '--part-number', '1', out);
      expect([part.ContentLength, part.TagCount, await readFile(out, 'utf8')]).toEqual([8, 2, 'cli body']);
      expect([new Date(part.Expires ?? '').toISOString(), part.ContentLanguage, part.CacheControl]).toEqual([
        '2030-01-02T03:04:05.000Z',
        'fr',
        'no-cache',
      ]);
      await aws('s3api', 'delete-object-tagging', '--bucket', 'cli-details', '--key', 'my file(1).txt');
      expect(engine.objects.getObjectTagging('cli-details', 'my file(1).txt').tags).toEqual([]);
    },
    CLI_TIMEOUT,
  );

  it(
    'lists url-encoded keys the CLI decodes, and deletes a one-space key in a batch',
    async () => {
      await engine.objects.putObject('cli-details', 'a b(2).txt', 'listed');
      await engine.objects.putObject('cli-details', ' ', 'space');
      // The CLI lists with encoding-type=url and decodes what S3 encoded.
      const listed = await awsJson<{ Contents: Array<{ Key: string }> }>(
        's3api',
        'list-objects-v2',
        '--bucket',
        'cli-details',
      );
      expect(listed.Contents.map((o) => o.Key)).toEqual([' ', 'a b(2).txt', 'my file(1).txt']);
      const deleted = await awsJson<{ Deleted: Array<{ Key: string }> }>(
        's3api',
        'delete-objects',
        '--bucket',
        'cli-details',
        '--delete',
        JSON.stringify({ Objects: [{ Key: ' ' }] }),
      );
      expect(deleted.Deleted).toEqual([{ Key: ' ' }]);
      expect(() => engine.objects.headObject('cli-details', ' ')).toThrow(
        expect.objectContaining({ code: 'NoSuchKey' }),
      );
    },
    CLI_TIMEOUT,
  );
});
