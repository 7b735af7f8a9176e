import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine.js';
import { bodyText, type S3Harness, sdkFailure, startS3Harness } from '../helpers/s3-harness.js';

// Each `aws` run starts a Python interpreter: seconds apiece on a loaded machine.
const CLI_TIMEOUT = 600_000;
let h: S3Harness;
let dir: string;
let engine: Engine;
let s3: S3Client;
const aws = (...args: string[]) => h.aws(...args);
const awsJson = <T>(...args: string[]) => h.awsJson<T>(...args);
const failure = sdkFailure;
const text = bodyText;

beforeAll(async () => {
  h = await startS3Harness('s3-versioning');
  ({ dir, engine, s3 } = h);
});

afterAll(async () => {
  await h?.close();
});

describe('versioning through the SDK', () => {
  it('keeps every version, reads each by id, hides the key behind a delete marker and brings it back', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'ver' }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'ver' }))).Status).toBeUndefined();
    const before = await s3.send(new PutObjectCommand({ Bucket: 'ver', Key: 'doc', Body: 'from before' }));
    expect(before.VersionId).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'ver', VersioningConfiguration: { Status: 'Enabled' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'ver' }))).Status).toBe('Enabled');

    const v1 = await s3.send(new PutObjectCommand({ Bucket: 'ver', Key: 'doc', Body: 'one' }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket: 'ver', Key: 'doc', Body: 'two!' }));
    expect(v1.VersionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(v2.VersionId).not.toBe(v1.VersionId);
    const current = await s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc' }));
    expect(current.VersionId).toBe(v2.VersionId);
    expect(await text(current)).toBe('two!');
    expect(
      await text(await s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: v1.VersionId }))),
    ).toBe('one');
    const nullVersion = await s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: 'null' }));
    expect(nullVersion.VersionId).toBe('null');
    expect(await text(nullVersion)).toBe('from before');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: v1.VersionId }));
    expect([head.VersionId, head.ContentLength]).toEqual([v1.VersionId, 3]);

    // A delete without a version id adds a delete marker: the key is gone, its versions are not.
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: 'ver', Key: 'doc' }));
    expect(deleted.DeleteMarker).toBe(true);
    expect(deleted.VersionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const gone = await failure(s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc' })));
    expect([gone.name, gone.status]).toEqual(['NoSuchKey', 404]);
    expect(gone.headers).toMatchObject({ 'x-amz-delete-marker': 'true', 'x-amz-version-id': deleted.VersionId });
    const onMarker = await failure(
      s3.send(new HeadObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: deleted.VersionId })),
    );
    expect(onMarker.status).toBe(405);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'ver' }))).KeyCount).toBe(0);
    expect(
      await text(await s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: v2.VersionId }))),
    ).toBe('two!');

    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: 'ver' }));
    expect(listed.DeleteMarkers?.map((m) => [m.Key, m.VersionId, m.IsLatest])).toEqual([
      ['doc', deleted.VersionId, true],
    ]);
    expect(listed.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.Size])).toEqual([
      ['doc', v2.VersionId, false, 4],
      ['doc', v1.VersionId, false, 3],
      ['doc', 'null', false, 11],
    ]);

    // Removing the delete marker by id makes the newest version current again.
    const unmarked = await s3.send(
      new DeleteObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: deleted.VersionId }),
    );
    expect([unmarked.DeleteMarker, unmarked.VersionId]).toEqual([true, deleted.VersionId]);
    expect(await text(await s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc' })))).toBe('two!');
    // Removing the current version by id promotes the one before it.
    await s3.send(new DeleteObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: v2.VersionId }));
    const promoted = await s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc' }));
    expect([promoted.VersionId, await text(promoted)]).toEqual([v1.VersionId, 'one']);
    const missing = await failure(
      s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: v2.VersionId })),
    );
    expect([missing.name, missing.status]).toEqual(['NoSuchVersion', 404]);
    const malformed = await failure(s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: 'a/b' })));
    expect([malformed.name, malformed.status]).toEqual(['InvalidArgument', 400]);

    // The bucket holds versions: it cannot be deleted until every version is.
    expect((await failure(s3.send(new DeleteBucketCommand({ Bucket: 'ver' })))).name).toBe('BucketNotEmpty');
    const all = await s3.send(new ListObjectVersionsCommand({ Bucket: 'ver' }));
    const batch = await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'ver',
        Delete: { Objects: (all.Versions ?? []).map((v) => ({ Key: v.Key, VersionId: v.VersionId })) },
      }),
    );
    expect(batch.Deleted?.map((d) => d.VersionId).sort()).toEqual([v1.VersionId, 'null'].sort());
    expect(batch.Errors ?? []).toEqual([]);
    await s3.send(new DeleteBucketCommand({ Bucket: 'ver' }));
  });

  it('writes and deletes the null version while versioning is suspended', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'suspended' }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: 'suspended', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const kept = await s3.send(new PutObjectCommand({ Bucket: 'suspended', Key: 'k', Body: 'kept' }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: 'suspended', VersioningConfiguration: { Status: 'Suspended' } }),
    );
    const first = await s3.send(new PutObjectCommand({ Bucket: 'suspended', Key: 'k', Body: 'null 1' }));
    const second = await s3.send(new PutObjectCommand({ Bucket: 'suspended', Key: 'k', Body: 'null 2' }));
    expect([first.VersionId, second.VersionId]).toEqual(['null', 'null']);
    const versions = async () =>
      ((await s3.send(new ListObjectVersionsCommand({ Bucket: 'suspended' }))).Versions ?? []).map((v) => [
        v.VersionId,
        v.IsLatest,
      ]);
    expect(await versions()).toEqual([
      ['null', true],
      [kept.VersionId, false],
    ]);
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: 'suspended', Key: 'k' }));
    expect([marker.DeleteMarker, marker.VersionId]).toEqual([true, 'null']);
    // The null delete marker replaced the null version; the version written while enabled stays.
    expect(await versions()).toEqual([[kept.VersionId, false]]);
    const markers = (await s3.send(new ListObjectVersionsCommand({ Bucket: 'suspended' }))).DeleteMarkers ?? [];
    expect(markers.map((m) => [m.VersionId, m.IsLatest])).toEqual([['null', true]]);
  });

  it('answers ListObjectVersions on an unversioned bucket with "null" versions, paged by key and version markers', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'plain' }));
    for (const key of ['a', 'b/1', 'b/2', 'c d', 'e']) {
      await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: key, Body: key }));
    }
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (let page = 0; page < 10; page++) {
      const out = await s3.send(
        new ListObjectVersionsCommand({
          Bucket: 'plain',
          MaxKeys: 2,
          Delimiter: '/',
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
        }),
      );
      for (const v of out.Versions ?? []) {
        expect([v.VersionId, v.IsLatest]).toEqual(['null', true]);
        seen.push(v.Key ?? '');
      }
      for (const p of out.CommonPrefixes ?? []) seen.push(p.Prefix ?? '');
      if (!out.IsTruncated) break;
      keyMarker = out.NextKeyMarker;
      versionIdMarker = out.NextVersionIdMarker;
    }
    expect(seen.sort()).toEqual(['a', 'b/', 'c d', 'e']);
    // A versioned key with many versions pages within the key too.
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'plain', VersioningConfiguration: { Status: 'Enabled' } }));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.unshift((await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'e', Body: `e${i}` }))).VersionId ?? '');
    }
    const paged: string[] = [];
    keyMarker = 'd';
    versionIdMarker = undefined;
    for (;;) {
      const out: ListObjectVersionsCommandOutput = await s3.send(
        new ListObjectVersionsCommand({
          Bucket: 'plain',
          MaxKeys: 2,
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
        }),
      );
      paged.push(...(out.Versions ?? []).map((v) => v.VersionId ?? ''));
      if (!out.IsTruncated) break;
      keyMarker = out.NextKeyMarker;
      versionIdMarker = out.NextVersionIdMarker;
    }
    expect(paged).toEqual([...ids, 'null']);
  });

  it('copies a given source version', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'copyver' }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: 'copyver', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const old = await s3.send(new PutObjectCommand({ Bucket: 'copyver', Key: 'src', Body: 'old body' }));
    await s3.send(new PutObjectCommand({ Bucket: 'copyver', Key: 'src', Body: 'new body' }));
    const copied = await s3.send(
      new CopyObjectCommand({ Bucket: 'copyver', Key: 'dst', CopySource: `copyver/src?versionId=${old.VersionId}` }),
    );
    expect(copied.CopySourceVersionId).toBe(old.VersionId);
    expect(copied.VersionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await text(await s3.send(new GetObjectCommand({ Bucket: 'copyver', Key: 'dst' })))).toBe('old body');
  });
});

describe('versioning through the AWS CLI', () => {
  it(
    'put-bucket-versioning, list-object-versions, delete markers, delete-objects by version and rb --force',
    async () => {
      await aws('s3', 'mb', 's3://cli-ver');
      await aws(
        's3api',
        'put-bucket-versioning',
        '--bucket',
        'cli-ver',
        '--versioning-configuration',
        'Status=Enabled',
      );
      expect(await awsJson<{ Status?: string }>('s3api', 'get-bucket-versioning', '--bucket', 'cli-ver')).toEqual({
        Status: 'Enabled',
      });
      const body = join(dir, 'body.txt');
      await writeFile(body, 'cli body');
      const put = await awsJson<{ VersionId: string }>(
        's3api',
        'put-object',
        '--bucket',
        'cli-ver',
        '--key',
        'x y',
        '--body',
        body,
      );
      expect(put.VersionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
      await aws('s3', 'rm', 's3://cli-ver/x y');
      const versions = await awsJson<{
        Versions: Array<{ Key: string; VersionId: string; IsLatest: boolean }>;
        DeleteMarkers: Array<{ Key: string; VersionId: string; IsLatest: boolean }>;
      }>('s3api', 'list-object-versions', '--bucket', 'cli-ver');
      expect(versions.Versions.map((v) => [v.Key, v.VersionId, v.IsLatest])).toEqual([['x y', put.VersionId, false]]);
      expect(versions.DeleteMarkers.map((m) => [m.Key, m.IsLatest])).toEqual([['x y', true]]);
      // As on S3, rb --force empties only the current objects: versions keep a versioned bucket alive.
      await expect(aws('s3', 'rb', 's3://cli-ver', '--force')).rejects.toThrow(/BucketNotEmpty/);
      const objects = [...versions.Versions, ...versions.DeleteMarkers].map((v) => ({
        Key: v.Key,
        VersionId: v.VersionId,
      }));
      const deleted = await awsJson<{ Deleted: Array<{ Key: string; VersionId: string; DeleteMarker?: boolean }> }>(
        's3api',
        'delete-objects',
        '--bucket',
        'cli-ver',
        '--delete',
        JSON.stringify({ Objects: objects }),
      );
      expect(deleted.Deleted.map((d) => [d.Key, d.VersionId, d.DeleteMarker ?? false]).sort()).toEqual(
        objects.map((o) => [o.Key, o.VersionId, o.VersionId !== put.VersionId]).sort(),
      );
      await aws('s3', 'rb', 's3://cli-ver');
      expect(engine.objects.listBuckets().map((b) => b.name)).not.toContain('cli-ver');
    },
    CLI_TIMEOUT,
  );

  it(
    'rb --force empties and removes an unversioned bucket',
    async () => {
      await aws('s3', 'mb', 's3://cli-plain');
      const body = join(dir, 'plain.txt');
      await writeFile(body, 'plain');
      for (const key of ['one', 'two/three', 'four five']) await aws('s3', 'cp', body, `s3://cli-plain/${key}`);
      const listed = await awsJson<{ Versions: Array<{ VersionId: string }> }>(
        's3api',
        'list-object-versions',
        '--bucket',
        'cli-plain',
      );
      expect(listed.Versions.map((v) => v.VersionId)).toEqual(['null', 'null', 'null']);
      await aws('s3', 'rb', 's3://cli-plain', '--force');
      expect(engine.objects.listBuckets().map((b) => b.name)).not.toContain('cli-plain');
    },
    CLI_TIMEOUT,
  );
});
