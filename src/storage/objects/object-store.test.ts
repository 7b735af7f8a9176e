import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testContext } from '../../../test/helpers/engine-context.js';
import { ObjectStore } from './object-store.js';
import type { ObjectEvent } from './types.js';

let ctx: ReturnType<typeof testContext>;
let store: ObjectStore;

beforeEach(async () => {
  ctx = testContext('objects');
  store = new ObjectStore(ctx);
  await store.start();
  store.createBucket('data');
});
afterEach(async () => {
  await store.stop();
  ctx.dispose();
});

const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');

describe('buckets', () => {
  it('creates, lists, heads and deletes buckets with S3 errors', () => {
    store.createBucket('b-2');
    expect(store.listBuckets().map((b) => b.name)).toEqual(['b-2', 'data']);
    expect(() => store.createBucket('data')).toThrow(
      expect.objectContaining({ code: 'BucketAlreadyOwnedByYou', status: 409 }),
    );
    for (const bad of [
      'ab',
      'Upper',
      '_lambdata',
      '-x-',
      'a..b',
      '192.168.1.1',
      'xn--abc',
      'abc-s3alias',
      'a'.repeat(64),
      'a.-b',
      'a-.b',
      'x..y',
      'amzn-s3-demo-bucket',
      'b--x-s3',
      'name.mrap',
    ]) {
      expect(() => store.createBucket(bad), bad).toThrow(expect.objectContaining({ code: 'InvalidBucketName' }));
    }
    expect(store.headBucket('b-2').name).toBe('b-2');
    store.deleteBucket('b-2');
    expect(() => store.headBucket('b-2')).toThrow(expect.objectContaining({ code: 'NoSuchBucket', status: 404 }));
    expect(() => store.deleteBucket('nope')).toThrow(expect.objectContaining({ code: 'NoSuchBucket' }));
  });

  it('refuses to delete a bucket with objects', async () => {
    await store.putObject('data', 'k', 'v');
    expect(() => store.deleteBucket('data')).toThrow(expect.objectContaining({ code: 'BucketNotEmpty', status: 409 }));
  });
});

describe('objects', () => {
  it('puts and gets a streamed body with its info and metadata', async () => {
    const info = await store.putObject(
      'data',
      'a/b.txt',
      Readable.from([Buffer.from('hello '), Buffer.from('world')]),
      {
        contentType: 'text/plain',
        metadata: { Owner: 'me' },
        cacheControl: 'no-cache',
      },
    );
    expect(info).toMatchObject({ bucket: 'data', key: 'a/b.txt', size: 11, etag: `"${md5('hello world')}"` });
    const { info: read, body } = await store.getObject('data', 'a/b.txt');
    expect(await text(body)).toBe('hello world');
    expect(read).toMatchObject({ contentType: 'text/plain', metadata: { owner: 'me' }, cacheControl: 'no-cache' });
    expect(store.headObject('data', 'a/b.txt').etag).toBe(info.etag);
  });

  it('reports missing keys and buckets', async () => {
    await expect(store.getObject('data', 'nope')).rejects.toMatchObject({ code: 'NoSuchKey', status: 404 });
    await expect(store.getObject('none', 'x')).rejects.toMatchObject({ code: 'NoSuchBucket' });
    expect(() => store.headObject('data', 'nope')).toThrow(expect.objectContaining({ code: 'NoSuchKey' }));
    await expect(store.putObject('none', 'x', 'v')).rejects.toMatchObject({ code: 'NoSuchBucket' });
  });

  it('checks Content-MD5 and stores nothing on mismatch', async () => {
    const good = createHash('md5').update('abc').digest('base64');
    await store.putObject('data', 'ok', 'abc', { contentMd5: good });
    await expect(store.putObject('data', 'bad', 'abd', { contentMd5: good })).rejects.toMatchObject({
      code: 'BadDigest',
    });
    expect(() => store.headObject('data', 'bad')).toThrow(expect.objectContaining({ code: 'NoSuchKey' }));
  });

  it('rejects empty, too long and malformed keys', async () => {
    await expect(store.putObject('data', '', 'v')).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(store.putObject('data', 'é'.repeat(513), 'v')).rejects.toMatchObject({ code: 'KeyTooLongError' });
    await expect(store.putObject('data', 'a\uD800b', 'v')).rejects.toMatchObject({ code: 'InvalidArgument' });
    await store.putObject('data', 'é'.repeat(512), 'v');
  });

  it('keeps serving the old body to a reader while the key is overwritten', async () => {
    const big = Buffer.alloc(3 << 20, 7);
    await store.putObject('data', 'k', big);
    const old = await store.getObject('data', 'k');
    await store.putObject('data', 'k', 'new');
    const chunks: Buffer[] = [];
    for await (const chunk of old.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
    expect(await text((await store.getObject('data', 'k')).body)).toBe('new');
  });

  it('deletes single and many keys, a missing key being fine', async () => {
    await store.putObject('data', 'x', '1');
    await store.putObject('data', 'y', '2');
    expect(store.deleteObject('data', 'x')).toBe(true);
    expect(store.deleteObject('data', 'x')).toBe(false);
    const results = store.deleteObjects('data', ['y', 'z', '']);
    expect(results.map((r) => [r.key, r.deleted, r.error?.code])).toEqual([
      ['y', true, undefined],
      ['z', false, undefined],
      ['', false, 'InvalidArgument'],
    ]);
    expect(store.listObjects('data').objects).toEqual([]);
  });

  it('copies with COPY and REPLACE directives and refuses an unchanged self-copy', async () => {
    await store.putObject('data', 'src', 'body', { contentType: 'text/csv', metadata: { a: '1' } });
    const copied = await store.copyObject({ bucket: 'data', key: 'src' }, { bucket: 'data', key: 'dst' });
    expect(copied).toMatchObject({ contentType: 'text/csv', metadata: { a: '1' }, etag: `"${md5('body')}"` });
    const replaced = await store.copyObject(
      { bucket: 'data', key: 'src' },
      { bucket: 'data', key: 'src' },
      { metadataDirective: 'REPLACE', contentType: 'text/plain' },
    );
    expect(replaced).toMatchObject({ contentType: 'text/plain', metadata: {} });
    await expect(
      store.copyObject({ bucket: 'data', key: 'src' }, { bucket: 'data', key: 'src' }),
    ).rejects.toMatchObject({
      code: 'InvalidRequest',
    });
    expect(await text((await store.getObject('data', 'dst')).body)).toBe('body');
  });

  it('publishes events with increasing sequencers, recorded inside the commit', async () => {
    const seen: ObjectEvent[] = [];
    const inTx: string[] = [];
    store.events.subscribe((e) => seen.push(e));
    store.onCommit((e) => inTx.push(e.eventName));
    await store.putObject('data', 'e', 'abc');
    await store.copyObject({ bucket: 'data', key: 'e' }, { bucket: 'data', key: 'f' });
    store.deleteObject('data', 'e');
    expect(seen.map((e) => e.eventName)).toEqual(['ObjectCreated:Put', 'ObjectCreated:Copy', 'ObjectRemoved:Delete']);
    expect(inTx).toEqual(seen.map((e) => e.eventName));
    expect(seen[0]).toMatchObject({ bucket: 'data', key: 'e', size: 3, etag: md5('abc') });
    expect(seen[2]?.size).toBeUndefined();
    const seqs = seen.map((e) => e.sequencer);
    expect([...seqs].sort()).toEqual(seqs);
    expect(new Set(seqs).size).toBe(3);
  });

  it('fails a put with NoSuchBucket when its bucket is deleted mid-upload', async () => {
    store.createBucket('short-lived');
    const body = new PassThrough();
    const put = store.putObject('short-lived', 'k', body);
    body.write('first half');
    await new Promise((resolve) => setImmediate(resolve));
    store.deleteBucket('short-lived');
    body.end('second half');
    await expect(put).rejects.toMatchObject({ code: 'NoSuchBucket' });
  });

  it('rolls the write back when a commit listener throws', async () => {
    store.onCommit(() => {
      throw new Error('outbox full');
    });
    await expect(store.putObject('data', 'r', 'x')).rejects.toThrow('outbox full');
    expect(() => store.headObject('data', 'r')).toThrow(expect.objectContaining({ code: 'NoSuchKey' }));
  });
});

describe('recovery at start', () => {
  it('removes temp files, uncommitted bodies and data of deleted buckets, keeping committed objects', async () => {
    await store.putObject('data', 'keep', 'kept');
    const root = join(ctx.dataDir, 'objects');
    writeFileSync(join(root, 'data', 'tmp', 'half-written'), 'partial');
    mkdirSync(join(root, 'ghost', 'data'), { recursive: true });
    writeFileSync(join(root, 'ghost', 'data', 'x'), 'left by a crash during deleteBucket');
    // A body placed but never committed, as journalled just before its rename.
    ctx.db.prepare('INSERT INTO s3_orphan_files (file) VALUES (?)').run('data/data/00/uncommitted');
    mkdirSync(join(root, 'data', 'data', '00'), { recursive: true });
    writeFileSync(join(root, 'data', 'data', '00', 'uncommitted'), 'never committed');
    await store.stop();

    const reopened = new ObjectStore(ctx);
    await reopened.start();
    expect(readdirSync(join(root, 'data', 'tmp'))).toEqual([]);
    expect(existsSync(join(root, 'ghost'))).toBe(false);
    expect(existsSync(join(root, 'data', 'data', '00', 'uncommitted'))).toBe(false);
    expect(await text((await reopened.getObject('data', 'keep')).body)).toBe('kept');
    await reopened.stop();
  });
});
