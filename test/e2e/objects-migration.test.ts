import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/api/index.js';
import { createEngine } from '../../src/engine.js';
import { openDb } from '../../src/state/db.js';

const OLD_SCHEMA = readFileSync(new URL('../fixtures/objects/schema-before-versioning.sql', import.meta.url), 'utf8');
let dataDir: string | undefined;
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Writes a data dir as a release before versioning did: its tables, rows and body files. */
function writeOldDataDir(dir: string, objects: Map<string, Buffer>): void {
  const db = openDb(dir, { checkpoint: 'auto' });
  try {
    db.exec(OLD_SCHEMA);
    db.prepare('INSERT INTO s3_buckets (name, created_at) VALUES (?, ?)').run('legacy', Date.now());
    const insert = db.prepare(
      `INSERT INTO s3_objects (bucket, object_key, size, etag, last_modified, content_type, metadata, content_encoding,
         content_disposition, cache_control, file) VALUES ('legacy', ?, ?, ?, ?, 'text/plain', ?, NULL, NULL, ?, ?)`,
    );
    for (const [key, body] of objects) {
      const id = randomBytes(16).toString('hex');
      const file = join('legacy', 'data', id.slice(0, 2), id);
      mkdirSync(join(dir, 'objects', 'legacy', 'data', id.slice(0, 2)), { recursive: true });
      mkdirSync(join(dir, 'objects', 'legacy', 'tmp'), { recursive: true });
      writeFileSync(join(dir, 'objects', file), body);
      const md5 = createHash('md5').update(body).digest('hex');
      insert.run(Buffer.from(key, 'utf8'), body.length, md5, Date.now(), '{"origin":"old"}', 'max-age=5', file);
    }
  } finally {
    db.close();
  }
}

describe('a data dir written before versioning', () => {
  it('opens under the current schema and keeps every object, which becomes the null version', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lambdata-objects-migration-'));
    const objects = new Map([
      ['plain.txt', Buffer.from('kept as it was')],
      ['nested/dir/ü.bin', randomBytes(70_000)],
      ['space key', Buffer.from('')],
    ]);
    writeOldDataDir(dataDir, objects);

    const engine = await createEngine({ dataDir, background: false });
    const server = await startServer(engine, { port: 0 });
    const s3 = new S3Client({
      endpoint: server.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'legacy' }));
      expect(listed.Contents?.map((o) => o.Key).sort()).toEqual([...objects.keys()].sort());
      for (const [key, body] of objects) {
        const got = await s3.send(new GetObjectCommand({ Bucket: 'legacy', Key: key }));
        expect(Buffer.from((await got.Body?.transformToByteArray()) ?? [])).toEqual(body);
        expect([got.Metadata, got.CacheControl, got.VersionId, got.TagCount]).toEqual([
          { origin: 'old' },
          'max-age=5',
          undefined,
          undefined,
        ]);
      }
      await s3.send(
        new PutBucketVersioningCommand({ Bucket: 'legacy', VersioningConfiguration: { Status: 'Enabled' } }),
      );
      const next = await s3.send(new PutObjectCommand({ Bucket: 'legacy', Key: 'plain.txt', Body: 'a new version' }));
      const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'legacy', Prefix: 'plain' }));
      expect(versions.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([
        [next.VersionId, true],
        ['null', false],
      ]);
      const old = await s3.send(new GetObjectCommand({ Bucket: 'legacy', Key: 'plain.txt', VersionId: 'null' }));
      expect(await old.Body?.transformToString()).toBe('kept as it was');
    } finally {
      s3.destroy();
      await server.close();
      await engine.close();
    }
    // And it opens again: the migration is idempotent.
    const reopened = await createEngine({ dataDir, background: false });
    try {
      expect(reopened.objects.listObjectVersions('legacy').versions).toHaveLength(4);
    } finally {
      await reopened.close();
    }
  });
});
