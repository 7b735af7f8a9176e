import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runLambdata } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { changeLines, copyTemplateFixture, runLambdataWithEnv } from '../helpers/templates.js';

let t: TestServer;
let s3: S3Client;
const copy = copyTemplateFixture('serverless-thumbnail');

beforeAll(async () => {
  t = await startTestServer('templates-serverless');
  s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: t.url, forcePathStyle: true });
});

afterAll(async () => {
  s3?.destroy();
  await t?.close();
  copy.remove();
});

async function waitForBody(bucket: string, key: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await got.Body?.transformToString()) ?? '';
    } catch (err) {
      if ((err as { name?: string }).name !== 'NoSuchKey' || Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('lambdata deploy --template serverless.yml', () => {
  it('deploys the thumbnail service with its stage, variables, S3 event and function URL', async () => {
    const template = join(copy.dir, 'serverless.yml');
    const out = await runLambdataWithEnv(
      t.url,
      { THUMB_LABEL: 'from-env' },
      'deploy',
      '--template',
      template,
      '--stage',
      'test',
    );
    expect(out.stderr).toMatch(/warning: functions\.thumbnail: layers are ignored/);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^stack thumbs-test$/m);
    expect(changeLines(out.stdout)).toEqual(
      expect.arrayContaining([
        'created bucket thumbs-test-uploads',
        'created bucket thumbs-test-thumbnails',
        'created function thumbs-test-thumbnail',
        'created function thumbs-test-hello',
        'created notification thumbs-test-uploads',
        'created url thumbs-test-hello',
      ]),
    );
    expect(t.engine.functions.get('thumbs-test-thumbnail')).toMatchObject({ memoryMb: 512, timeoutS: 10 });
    expect(t.engine.functions.get('thumbs-test-hello').memoryMb).toBe(256);

    await s3.send(new PutObjectCommand({ Bucket: 'thumbs-test-uploads', Key: 'photos/owl.png', Body: 'PNGDATA-owl' }));
    expect(JSON.parse(await waitForBody('thumbs-test-thumbnails', 'thumbnails/owl.png.json'))).toMatchObject({
      source: 'thumbs-test-uploads/photos/owl.png',
      width: 32,
      label: 'from-env',
      stage: 'test',
      memory: 512,
    });

    const url = /^url thumbs-test-hello (\S+)$/m.exec(out.stdout)?.[1];
    const res = await fetch(`${url}anything?name=Grace`, { method: 'POST' });
    expect(await res.json()).toMatchObject({ message: 'Hello from thumbs, Grace', path: '/anything', method: 'POST' });

    // The same service and stage again: nothing to do. Each function's package is the whole service directory.
    const again = await runLambdataWithEnv(
      t.url,
      { THUMB_LABEL: 'from-env' },
      'deploy',
      '--template',
      template,
      '--stage',
      'test',
    );
    expect(again.code).toBe(0);
    expect(changeLines(again.stdout).filter((line) => !line.startsWith('unchanged '))).toEqual([]);
    const ls = await runLambdata(t.url, 'stacks', 'ls', '--json');
    expect(JSON.parse(ls.stdout)).toEqual([
      expect.objectContaining({
        name: 'thumbs-test',
        kind: 'serverless',
        functions: ['thumbs-test-thumbnail', 'thumbs-test-hello'],
        buckets: ['thumbs-test-thumbnails', 'thumbs-test-uploads'],
        urls: ['thumbs-test-hello'],
      }),
    ]);

    // Removing the stack deletes its functions and events and keeps the buckets with their objects.
    const rm = await runLambdata(t.url, 'stacks', 'rm', 'thumbs-test');
    expect(rm.code).toBe(0);
    expect(changeLines(rm.stdout)).toEqual(
      expect.arrayContaining([
        'deleted function thumbs-test-thumbnail',
        'deleted function thumbs-test-hello',
        'deleted url thumbs-test-hello',
        'kept bucket thumbs-test-uploads',
      ]),
    );
    expect(t.engine.functions.has('thumbs-test-thumbnail')).toBe(false);
    expect(await waitForBody('thumbs-test-uploads', 'photos/owl.png')).toBe('PNGDATA-owl');
    expect((await runLambdata(t.url, 'stacks', 'ls')).stderr).toBe('no stacks\n');
  });
});
