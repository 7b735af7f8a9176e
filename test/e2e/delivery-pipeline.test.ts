import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine.js';
import type { DeadLetter, InvocationRecord } from '../../src/invoke/index.js';
import { artifactDir } from '../helpers/artifacts.js';
import { fixturePath } from '../helpers/fixtures.js';
import { WRITES_HOST_FILES } from '../helpers/sandbox.js';
import { collectRecords } from '../helpers/wait.js';

process.env.LAMBDATA_RETRY_BASE_MS = '20';

const RUNTIME = { prestart: 0, ...WRITES_HOST_FILES };
const collected = (file: string) =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
    : [];

describe('delivery pipeline: upgrade from the queues of earlier versions', () => {
  const dir = artifactDir('lambdata-delivery-');
  afterAll(() => dir.remove());

  it('delivers rows left in the old async queue and notification outbox once, after an upgrade', async () => {
    const dataDir = join(dir.path, 'data');
    const file = join(dir.path, 'collected.jsonl');
    const setup = await createEngine({ dataDir, background: false, runtime: RUNTIME });
    await setup.functions.create({
      name: 'collector',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/collector') },
      environment: { COLLECT_FILE: file },
    });
    await setup.close();

    // What an earlier version left behind: one async event (running when it died) and one notification.
    const db = new Database(join(dataDir, 'lambdata.db'));
    db.exec(`
      DROP TABLE IF EXISTS deliveries;
      CREATE TABLE invoke_async_events (
        id TEXT PRIMARY KEY, function_name TEXT NOT NULL, qualifier TEXT NOT NULL, payload TEXT NOT NULL,
        trigger TEXT NOT NULL, client_context TEXT, enqueued_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending', throttled INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE s3_notification_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT, function_name TEXT NOT NULL, payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, not_before INTEGER NOT NULL DEFAULT 0);`);
    const now = Date.now();
    db.prepare(
      `INSERT INTO invoke_async_events (id, function_name, qualifier, payload, trigger, enqueued_at, next_at, state)
       VALUES ('old-event', 'collector', '$LATEST', '{"from":"async"}', 'api', ?, ?, 'running')`,
    ).run(now, now);
    db.prepare(`INSERT INTO s3_notification_outbox (function_name, payload) VALUES ('collector', ?)`).run(
      JSON.stringify({ Records: [{ eventSource: 'aws:s3', from: 'outbox' }] }),
    );
    db.close();

    const upgraded = await createEngine({ dataDir, background: false, runtime: RUNTIME });
    const tables = () =>
      (
        upgraded.context.db
          .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)`)
          .all('invoke_async_events', 's3_notification_outbox') as Array<{ name: string }>
      ).map((t) => t.name);
    try {
      expect(tables()).toEqual([]);
      expect(upgraded.invocations.queueDepth('collector')).toBe(2);
      expect(upgraded.notifications.pendingDeliveries()).toBe(1);
      const ran = collectRecords(upgraded.invocations.records, (seen) => seen.length === 2);
      await upgraded.invocations.start();
      const records = await ran;
      expect(records.map((r) => [r.trigger, r.outcome, r.attempt]).sort()).toEqual([
        ['api', 'success', 1],
        ['s3', 'success', 1],
      ]);
      expect(records.find((r) => r.trigger === 'api')?.requestId).toBe('old-event');
      await expect.poll(() => upgraded.invocations.queueDepth()).toBe(0);
    } finally {
      await upgraded.close();
    }
    const events = collected(file);
    expect(events).toHaveLength(2);
    expect(events).toEqual(
      expect.arrayContaining([{ from: 'async' }, { Records: [{ eventSource: 'aws:s3', from: 'outbox' }] }]),
    );

    // Moved once: a second start finds nothing left to deliver.
    const again = await createEngine({ dataDir, runtime: RUNTIME });
    try {
      expect(again.invocations.queueDepth()).toBe(0);
    } finally {
      await again.close();
    }
    expect(collected(file)).toHaveLength(2);
  });
});

describe('delivery pipeline: destinations', () => {
  const dir = artifactDir('lambdata-delivery-');
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine({ dataDir: join(dir.path, 'data'), runtime: RUNTIME });
  });
  afterAll(async () => {
    await engine.close();
    dir.remove();
  });

  it("sends a stream mapping's failure record to an on-failure function as an async invocation", async () => {
    const file = join(dir.path, 'mapping-failures.jsonl');
    const collector = await engine.functions.create({
      name: 'failures',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/collector') },
      environment: { COLLECT_FILE: file },
    });
    await engine.functions.create({
      name: 'rejects',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/fail') },
    });
    engine.streams.createStream('rejected', { shardCount: 1 });
    const { sequenceNumber } = engine.streams.putRecord('rejected', { data: Buffer.from('r0'), partitionKey: 'k' });
    const delivered = collectRecords(engine.invocations.records, (seen) =>
      seen.some((r) => r.functionName === 'failures'),
    );
    engine.mappings.create({
      functionName: 'rejects',
      eventSourceArn: engine.streams.streamArn('rejected'),
      startingPosition: 'TRIM_HORIZON',
      maximumRetryAttempts: 0,
      onFailureDestination: collector.arn,
    });
    const record = (await delivered).find((r) => r.functionName === 'failures') as InvocationRecord;
    expect([record.trigger, record.invocationType, record.outcome]).toEqual(['destination', 'Event', 'success']);
    const [failure] = collected(file);
    expect(failure).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 1 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      KinesisBatchInfo: {
        shardId: 'shardId-000000000000',
        startSequenceNumber: sequenceNumber,
        endSequenceNumber: sequenceNumber,
        batchSize: 1,
        streamArn: engine.streams.streamArn('rejected'),
      },
    });
  });

  it('retries a destination queue that cannot take the record, then keeps the event as a dead letter', async () => {
    engine.queues.createQueue('gone-soon');
    await engine.functions.create({
      name: 'lost',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/fail') },
    });
    engine.functions.putEventInvokeConfig('lost', {
      maximumRetryAttempts: 0,
      onFailure: engine.queues.queueArn('gone-soon'),
    });
    engine.queues.deleteQueue('gone-soon');
    const dead = new Promise<DeadLetter>((resolve) => {
      const off = engine.invocations.deadLetters.added.subscribe((letter) => {
        off();
        resolve(letter);
      });
    });
    const accepted = await engine.invocations.invoke({
      functionName: 'lost',
      invocationType: 'Event',
      payload: JSON.stringify({ id: 'l1', file: join(dir.path, 'lost.log') }),
    });
    expect(await dead).toMatchObject({
      requestId: accepted.requestId,
      functionName: 'lost',
      condition: 'RetriesExhausted',
      attempts: 1,
      errorMessage: 'cannot handle l1',
    });
    expect(engine.invocations.deadLetters.list({ functionName: 'lost' })).toHaveLength(1);
    expect(engine.invocations.queueDepth()).toBe(0);
  });
});
