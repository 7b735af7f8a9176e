import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runLambdata } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { copyTemplateFixture } from '../helpers/templates.js';

let t: TestServer;
let s3: S3Client;
const copy = copyTemplateFixture('collector');

beforeAll(async () => {
  t = await startTestServer('templates-schedule');
  s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: t.url, forcePathStyle: true });
});

afterAll(async () => {
  s3?.destroy();
  await t?.close();
  copy.remove();
});

describe('a scheduled collector from a SAM template', () => {
  it('fires on its cron schedule with the template Input and stores a snapshot', async () => {
    const out = await runLambdata(
      t.url,
      'deploy',
      '--template',
      join(copy.dir, 'template.yaml'),
      '--stack-name',
      'collect',
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^created\s+schedule\s+collect-Collector-EveryMinute$/m);
    const [schedule] = t.engine.schedules.list();
    expect(schedule).toMatchObject({ functionName: 'collect-Collector', expression: 'cron(* * * * ? *)' });
    // cron(* * * * ? *) fires at the top of the next minute.
    const deadline = Date.now() + 75_000;
    let keys: string[] = [];
    while (keys.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'collect-snapshots', Prefix: 'snapshots/' }));
      keys = (listed.Contents ?? []).map((o) => o.Key as string);
    }
    expect(keys.length).toBeGreaterThan(0);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'collect-snapshots', Key: keys[0] }));
    expect(JSON.parse((await got.Body?.transformToString()) ?? '')).toEqual({ source: 'template-test' });
  }, 100_000);
});
