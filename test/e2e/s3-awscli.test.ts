import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/index.js';
import { startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { runAwsText } from '../helpers/cli.js';

let dir: string;
let engine: Engine;
let server: RunningServer;

function aws(...args: string[]): Promise<string> {
  return runAwsText(server.url, dir, ...args);
}

async function md5(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lambdata-s3-cli-'));
  engine = await createEngine({ dataDir: join(dir, 'data'), background: false });
  server = await startServer(engine, { port: 0 });
});

afterAll(async () => {
  await server?.close();
  await engine?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('aws s3 (high-level commands)', () => {
  it('mb, sync up and down, ls and rb --force', async () => {
    await aws('s3', 'mb', 's3://cli-bucket');
    const src = join(dir, 'src');
    await mkdir(join(src, 'nested'), { recursive: true });
    await writeFile(join(src, 'a.txt'), 'alpha\n');
    await writeFile(join(src, 'nested', 'b.txt'), 'beta\n');
    await writeFile(join(src, 'space name.txt'), 'gamma\n');
    await aws('s3', 'sync', src, 's3://cli-bucket/synced');
    const top = await aws('s3', 'ls', 's3://cli-bucket/synced/');
    expect(top).toContain('PRE nested/');
    expect(top).toContain('space name.txt');
    const down = join(dir, 'down');
    await aws('s3', 'sync', 's3://cli-bucket', down);
    expect(await readFile(join(down, 'synced', 'a.txt'), 'utf8')).toBe('alpha\n');
    expect(await readFile(join(down, 'synced', 'nested', 'b.txt'), 'utf8')).toBe('beta\n');
    expect(await readFile(join(down, 'synced', 'space name.txt'), 'utf8')).toBe('gamma\n');
    await aws('s3', 'rb', 's3://cli-bucket', '--force');
    expect(engine.objects.listBuckets().map((b) => b.name)).not.toContain('cli-bucket');
  });

  it('uploads a >100 MB file in parts and downloads it intact', async () => {
    const big = join(dir, 'big.bin');
    const block = randomBytes(1024 * 1024);
    const blocks: Buffer[] = [];
    for (let i = 0; i < 101; i++) {
      blocks.push(Buffer.concat([block.subarray(i), block.subarray(0, i)]));
    }
    await writeFile(big, Buffer.concat(blocks));
    blocks.length = 0;
    await aws('s3', 'mb', 's3://big-bucket');
    await aws('s3', 'cp', big, 's3://big-bucket/big.bin');
    const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', 'big-bucket', '--key', 'big.bin')) as {
      ContentLength: number;
      ETag: string;
    };
    expect(head.ContentLength).toBe(101 * 1024 * 1024);
    expect(head.ETag).toMatch(/-\d+"$/);
    const back = join(dir, 'big-back.bin');
    await aws('s3', 'cp', 's3://big-bucket/big.bin', back);
    expect(await md5(back)).toBe(await md5(big));
    await rm(back);
    await rm(big);
  });
});

describe('aws s3api (low-level commands)', () => {
  it('puts with metadata, lists v1 with a delimiter and reports errors', async () => {
    engine.objects.createBucket('api-bucket');
    await engine.objects.putObject('api-bucket', 'k/2', 'two');
    const body = join(dir, 'body.txt');
    await writeFile(body, 'api body');
    await aws('s3api', 'put-object', '--bucket', 'api-bucket', '--key', 'k/1', '--body', body, '--metadata', 'x=y');
    expect(engine.objects.headObject('api-bucket', 'k/1')).toMatchObject({ size: 8, metadata: { x: 'y' } });
    const v1 = JSON.parse(await aws('s3api', 'list-objects', '--bucket', 'api-bucket', '--delimiter', '/')) as {
      CommonPrefixes: { Prefix: string }[];
    };
    expect(v1.CommonPrefixes).toEqual([{ Prefix: 'k/' }]);
    await expect(
      aws('s3api', 'get-object', '--bucket', 'api-bucket', '--key', 'missing', join(dir, 'o')),
    ).rejects.toThrow(/NoSuchKey/);
  });
});
