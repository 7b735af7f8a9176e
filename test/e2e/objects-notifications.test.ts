import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3EventRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine.js';
import type { InvocationRecord } from '../../src/invoke/index.js';
import { wholeJsonLines } from '../helpers/recorder.js';
import { WRITES_HOST_FILES } from '../helpers/sandbox.js';

const RECORDER = fileURLToPath(new URL('../fixtures/objects/recorder', import.meta.url));
// Handlers see a private /tmp, so the file they report through lives under test-artifacts/.
const artifacts = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

let engine: Engine;
let dataDir: string;
let outDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'lambdata-objects-notify-'));
  mkdirSync(artifacts, { recursive: true });
  outDir = mkdtempSync(join(artifacts, 'objects-notify-'));
  engine = await createEngine({ dataDir, runtime: WRITES_HOST_FILES });
});
afterAll(async () => {
  await engine.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
});

/** Resolves once `count` successful invocations of `functionName` were recorded. */
function invocations(functionName: string, count: number): Promise<InvocationRecord[]> {
  return new Promise((resolve, reject) => {
    const seen: InvocationRecord[] = [];
    const timer = setTimeout(() => reject(new Error(`saw ${seen.length} of ${count} invocations`)), 30_000);
    const unsubscribe = engine.invocations.records.subscribe((record) => {
      if (record.functionName !== functionName) return;
      seen.push(record);
      if (seen.length === count) {
        clearTimeout(timer);
        unsubscribe();
        resolve(seen);
      }
    });
  });
}

const readEvents = (file: string) => wholeJsonLines<{ Records: S3EventRecord[] }>(file);

describe('object notifications', () => {
  it('reports version ids, and a delete in a versioned bucket as DeleteMarkerCreated', async () => {
    const file = join(outDir, 'versioned.jsonl');
    await engine.functions.create({
      name: 'on-version',
      handler: 'index.handler',
      code: { dir: RECORDER },
      environment: { COLLECT_FILE: file },
    });
    engine.objects.createBucket('versioned-inbox');
    engine.objects.putBucketVersioning('versioned-inbox', 'Enabled');
    engine.notifications.putConfiguration('versioned-inbox', {
      lambdaFunctionConfigurations: [
        { functionArn: 'on-version', events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:DeleteMarkerCreated'] },
      ],
    });
    const done = invocations('on-version', 2);
    const info = await engine.objects.putObject('versioned-inbox', 'v.txt', 'versioned');
    const marker = engine.objects.deleteObjectVersion('versioned-inbox', 'v.txt');
    await done;
    const records = readEvents(file).flatMap((event) => event.Records);
    const created = records.find((r) => r.eventName === 'ObjectCreated:Put');
    const removed = records.find((r) => r.eventName === 'ObjectRemoved:DeleteMarkerCreated');
    expect(created?.s3.object.versionId).toBe(info.versionId);
    expect(removed?.s3.object).toEqual({ key: 'v.txt', versionId: marker.versionId, sequencer: expect.any(String) });
  });

  it('validates configurations', () => {
    engine.objects.createBucket('validate');
    const put = (cfg: unknown) => () => engine.notifications.putConfiguration('validate', cfg as never);
    expect(put({ lambdaFunctionConfigurations: [{ functionArn: 'f', events: ['s3:Nope'] }] })).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
    expect(
      put({ lambdaFunctionConfigurations: [{ functionArn: 'not a name!', events: ['s3:ObjectCreated:*'] }] }),
    ).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(
      put({ lambdaFunctionConfigurations: [{ functionArn: 'no-such-function', events: ['s3:ObjectCreated:*'] }] }),
    ).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(() => engine.notifications.getConfiguration('missing-bucket')).toThrow(
      expect.objectContaining({ code: 'NoSuchBucket' }),
    );
    expect(engine.notifications.getConfiguration('validate')).toEqual({ lambdaFunctionConfigurations: [] });
  });

  it('invokes the function asynchronously with the exact S3 record for matching events', async () => {
    const file = join(outDir, 'events.jsonl');
    const fn = await engine.functions.create({
      name: 'on-upload',
      handler: 'index.handler',
      code: { dir: RECORDER },
      environment: { COLLECT_FILE: file },
    });
    engine.objects.createBucket('inbox');
    const saved = engine.notifications.putConfiguration('inbox', {
      lambdaFunctionConfigurations: [
        {
          id: 'csv-created',
          functionArn: fn.arn,
          events: ['s3:ObjectCreated:*'],
          filter: { prefix: 'in/', suffix: '.csv' },
        },
        { id: 'removed', functionArn: 'on-upload', events: ['s3:ObjectRemoved:Delete'] },
      ],
    });
    expect(engine.notifications.getConfiguration('inbox')).toEqual(saved);

    const done = invocations('on-upload', 2);
    await engine.objects.putObject('inbox', 'in/skip.txt', 'not matched');
    await engine.objects.putObject('inbox', 'other/x.csv', 'not matched');
    const info = await engine.objects.putObject('inbox', 'in/my report.csv', 'a,b\n1,2\n');
    engine.objects.deleteObject('inbox', 'in/my report.csv');
    const records = await done;
    expect(records.map((r) => [r.trigger, r.invocationType, r.outcome, r.errorMessage])).toEqual([
      ['s3', 'Event', 'success', undefined],
      ['s3', 'Event', 'success', undefined],
    ]);
    // Async deliveries may run in either order (as on AWS); the sequencer orders the events.
    const delivered = readEvents(file).map((event) => {
      expect(event.Records).toHaveLength(1);
      return event.Records[0] as S3EventRecord;
    });
    expect(delivered).toHaveLength(2);
    const created = delivered.find((r) => r.eventName.startsWith('ObjectCreated'));
    const removed = delivered.find((r) => r.eventName.startsWith('ObjectRemoved'));
    expect(created).toEqual({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: expect.any(String) },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': expect.any(String), 'x-amz-id-2': expect.any(String) },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'csv-created',
        bucket: { name: 'inbox', ownerIdentity: { principalId: expect.any(String) }, arn: 'arn:aws:s3:::inbox' },
        object: {
          key: 'in/my+report.csv',
          size: 8,
          eTag: info.etag.slice(1, -1),
          sequencer: expect.stringMatching(/^[0-9A-F]+$/),
        },
      },
    });
    expect(removed?.eventName).toBe('ObjectRemoved:Delete');
    expect(removed?.s3.configurationId).toBe('removed');
    expect(removed?.s3.object).toEqual({ key: 'in/my+report.csv', sequencer: expect.any(String) });
    expect(String(removed?.s3.object.sequencer) > String(created?.s3.object.sequencer)).toBe(true);
    expect(engine.notifications.pendingDeliveries()).toBe(0);
  });

  it('delivers what was committed before a restart from the durable outbox', async () => {
    const file = join(outDir, 'restart.jsonl');
    const dir = mkdtempSync(join(tmpdir(), 'lambdata-objects-outbox-'));
    try {
      // First life: no background work, so the delivery stays in the outbox like a crash right after commit.
      const first = await createEngine({ dataDir: dir, background: false, runtime: WRITES_HOST_FILES });
      await first.functions.create({
        name: 'later',
        handler: 'index.handler',
        code: { dir: RECORDER },
        environment: { COLLECT_FILE: file },
      });
      first.objects.createBucket('durable');
      first.notifications.putConfiguration('durable', {
        lambdaFunctionConfigurations: [{ functionArn: 'later', events: ['s3:ObjectCreated:Put'] }],
      });
      await first.objects.putObject('durable', 'k', 'v');
      expect(first.notifications.pendingDeliveries()).toBe(1);
      await first.close();

      const second = await createEngine({ dataDir: dir, runtime: WRITES_HOST_FILES });
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no delivery after restart')), 30_000);
          const off = second.invocations.records.subscribe((record) => {
            if (record.functionName !== 'later') return;
            clearTimeout(timer);
            off();
            resolve();
          });
        });
        expect(readEvents(file)[0]?.Records[0]?.s3.object.key).toBe('k');
        expect(second.notifications.pendingDeliveries()).toBe(0);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
