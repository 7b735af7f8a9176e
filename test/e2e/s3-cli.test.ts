import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { runLambdataIn } from '../helpers/cli.js';

const NOOP_FUNCTION = fileURLToPath(new URL('../fixtures/s3/noop', import.meta.url));
let dir: string;
let engine: Engine;
let server: RunningServer;

/** Runs the lambdata binary (built with `npx tsc -p tsconfig.build.json`) against the test server. */
function lambdata(...args: string[]) {
  return runLambdataIn(dir, server.url, ...args);
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

describe('lambdata s3', () => {
  it('makes a bucket, copies files and trees both ways, lists, cats and removes', async () => {
    expect((await lambdata('s3', 'mb', 's3://cli-b')).code).toBe(0);
    const tree = join(dir, 'tree');
    await mkdir(join(tree, 'sub'), { recursive: true });
    await writeFile(join(tree, 'one.txt'), 'one\n');
    await writeFile(join(tree, 'sub', 'two words.txt'), 'two\n');
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 'z');
    await writeFile(join(dir, 'big.bin'), big);

    const up = await lambdata('s3', 'cp', join(dir, 'big.bin'), 's3://cli-b/blobs/');
    expect(up.code).toBe(0);
    expect(engine.objects.headObject('cli-b', 'blobs/big.bin').size).toBe(big.length);
    expect((await lambdata('s3', 'cp', tree, 's3://cli-b/tree', '--recursive')).code).toBe(0);

    const top = await lambdata('s3', 'ls', 's3://cli-b/');
    expect(top.stdout).toMatch(/PRE blobs\//);
    expect(top.stdout).toMatch(/PRE tree\//);
    const all = await lambdata('s3', 'ls', 's3://cli-b', '--recursive');
    expect(
      all.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/).slice(3).join(' ')),
    ).toEqual(['blobs/big.bin', 'tree/one.txt', 'tree/sub/two words.txt']);

    const cat = await lambdata('s3', 'cat', 's3://cli-b/tree/sub/two words.txt');
    expect(cat.stdout).toBe('two\n');

    const down = join(dir, 'down');
    expect((await lambdata('s3', 'cp', 's3://cli-b/tree', down, '--recursive')).code).toBe(0);
    expect(await readFile(join(down, 'sub', 'two words.txt'), 'utf8')).toBe('two\n');
    expect((await lambdata('s3', 'cp', 's3://cli-b/blobs/big.bin', join(dir, 'big-back.bin'))).code).toBe(0);
    expect((await readFile(join(dir, 'big-back.bin'))).equals(big)).toBe(true);

    expect((await lambdata('s3', 'cp', 's3://cli-b/tree/one.txt', 's3://cli-b/copied/one.txt')).code).toBe(0);
    expect(engine.objects.headObject('cli-b', 'copied/one.txt').size).toBe(4);

    expect((await lambdata('s3', 'rm', 's3://cli-b/copied/one.txt')).code).toBe(0);
    expect(() => engine.objects.headObject('cli-b', 'copied/one.txt')).toThrow(
      expect.objectContaining({ code: 'NoSuchKey' }),
    );
    expect((await lambdata('s3', 'rm', 's3://cli-b/tree', '--recursive')).stdout).toContain(
      'delete: s3://cli-b/tree/one.txt',
    );
    expect(engine.objects.listObjects('cli-b', { prefix: 'tree/' }).objects).toEqual([]);
    expect((await lambdata('s3', 'rb', 's3://cli-b', '--force')).code).toBe(0);
    expect(engine.objects.listBuckets().map((b) => b.name)).not.toContain('cli-b');
  });

  it('prints S3 error codes, exits 1 on failure and 2 on usage errors', async () => {
    const missing = await lambdata('s3', 'cat', 's3://no-such-bucket/k');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NoSuchBucket');
    const usage = await lambdata('s3', 'mb', 'not-an-s3-url');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage:');
  });
});

describe('lambdata notify', () => {
  it('adds, shows and clears a bucket notification', async () => {
    engine.objects.createBucket('notify-b');
    await engine.functions.create({ name: 'thumbs', handler: 'index.handler', code: { dir: NOOP_FUNCTION } });
    const add = await lambdata(
      'notify',
      's3://notify-b',
      '--function',
      'thumbs',
      '--prefix',
      'in/',
      '--suffix',
      '.jpg',
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const config = engine.notifications.getConfiguration('notify-b');
    expect(config.lambdaFunctionConfigurations).toMatchObject([
      { functionArn: 'thumbs', events: ['s3:ObjectCreated:*'], filter: { prefix: 'in/', suffix: '.jpg' } },
    ]);
    const show = await lambdata('notify', 's3://notify-b', '--show');
    expect(show.stdout).toMatch(/thumbs\ts3:ObjectCreated:\*\tprefix=in\/ suffix=\.jpg/);
    expect((await lambdata('notify', 's3://notify-b', '--clear')).code).toBe(0);
    expect(engine.notifications.getConfiguration('notify-b').lambdaFunctionConfigurations).toEqual([]);
  });
});
