import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine.js';
import type { DeadLetter } from '../../src/invoke/index.js';
import { artifactDir } from '../helpers/artifacts.js';
import { fixturePath } from '../helpers/fixtures.js';
import { WRITES_HOST_FILES } from '../helpers/sandbox.js';
import { collectRecords } from '../helpers/wait.js';

const RETRY_BASE_MS = 100;
process.env.LAMBDATA_RETRY_BASE_MS = String(RETRY_BASE_MS);

const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');

describe('invoke: async events, retries, dead letters and destinations', () => {
  const dir = artifactDir('lambdata-invoke-');
  let engine: Engine;

  beforeAll(async () => {
    engine = await createEngine({ dataDir: dir.path, runtime: { prestart: 0, ...WRITES_HOST_FILES } });
  });
  afterAll(async () => {
    await engine.close();
    dir.remove();
  });

  it('retries a failing event twice with backoff, dead-letters it after 3 attempts, and replays it once fixed', async () => {
    await engine.functions.create({
      name: 'flaky',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/fail') },
    });
    const file = join(dir.path, 'flaky.log');
    const dead = new Promise<DeadLetter>((resolve) => {
      const off = engine.invocations.deadLetters.added.subscribe((letter) => {
        off();
        resolve(letter);
      });
    });
    const attempts = collectRecords(
      engine.invocations.records,
      (seen) => seen.filter((r) => r.functionName === 'flaky').length === 3,
    );

    const accepted = await engine.invocations.invoke({
      functionName: 'flaky',
      invocationType: 'Event',
      payload: JSON.stringify({ id: 'e1', file }),
    });
    expect(accepted.statusCode).toBe(202);

    const letter = await dead;
    const records = (await attempts).filter((r) => r.functionName === 'flaky');
    expect(records.map((r) => [r.attempt, r.requestId, r.invocationType, r.outcome === 'success'])).toEqual([
      [1, accepted.requestId, 'Event', false],
      [2, accepted.requestId, 'Event', false],
      [3, accepted.requestId, 'Event', false],
    ]);
    // ~1x then ~2x the base delay between attempts.
    const [a, b, c] = records as [(typeof records)[0], (typeof records)[0], (typeof records)[0]];
    expect(b.startedAt - (a.startedAt + a.durationMs)).toBeGreaterThanOrEqual(RETRY_BASE_MS - 5);
    expect(c.startedAt - (b.startedAt + b.durationMs)).toBeGreaterThanOrEqual(2 * RETRY_BASE_MS - 5);
    expect(lines(file)).toEqual(['fail e1', 'fail e1', 'fail e1']);
    expect(letter).toMatchObject({
      requestId: accepted.requestId,
      functionName: 'flaky',
      condition: 'RetriesExhausted',
      attempts: 3,
      errorType: 'Error',
      errorMessage: 'cannot handle e1',
    });
    expect(engine.invocations.deadLetters.list({ functionName: 'flaky' }).map((l) => l.id)).toEqual([letter.id]);
    expect(engine.invocations.queueDepth('flaky')).toBe(0);

    await engine.functions.updateCode('flaky', { dir: fixturePath('invoke/ok') });
    const fixed = collectRecords(engine.invocations.records, (seen) =>
      seen.some((r) => r.functionName === 'flaky' && r.outcome === 'success'),
    );
    await engine.invocations.deadLetters.replay(letter.id);
    expect(engine.invocations.deadLetters.list({ functionName: 'flaky' })).toEqual([]);
    const replayed = (await fixed).filter((r) => r.functionName === 'flaky');
    expect(replayed.map((r) => [r.outcome, r.attempt])).toEqual([['success', 1]]);
    expect(lines(file)).toEqual(['fail e1', 'fail e1', 'fail e1', 'ok e1']);
  });

  it('sends AWS destination records to on-failure and on-success functions', async () => {
    const collected = join(dir.path, 'destinations.log');
    const collector = await engine.functions.create({
      name: 'collector',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/collector') },
      environment: { COLLECT_FILE: collected },
    });
    await engine.functions.create({
      name: 'breaks',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/fail') },
    });
    await engine.functions.create({ name: 'works', handler: 'index.handler', code: { dir: fixturePath('invoke/ok') } });
    engine.functions.putEventInvokeConfig('breaks', { maximumRetryAttempts: 0, onFailure: collector.arn });
    engine.functions.putEventInvokeConfig('works', { onSuccess: collector.arn });
    const delivered = collectRecords(
      engine.invocations.records,
      (seen) => seen.filter((r) => r.functionName === 'collector').length === 2,
    );

    const work = join(dir.path, 'work.log');
    const failed = await engine.invocations.invoke({
      functionName: 'breaks',
      invocationType: 'Event',
      payload: JSON.stringify({ id: 'b1', file: work }),
    });
    const succeeded = await engine.invocations.invoke({
      functionName: 'works',
      invocationType: 'Event',
      payload: JSON.stringify({ id: 'w1', file: work }),
    });
    const records = (await delivered).filter((r) => r.functionName === 'collector');
    expect(records.map((r) => [r.trigger, r.outcome])).toEqual([
      ['destination', 'success'],
      ['destination', 'success'],
    ]);
    const events = lines(collected).map((l) => JSON.parse(l));
    const onFailure = events.find((e) => e.requestContext.condition === 'RetriesExhausted');
    const onSuccess = events.find((e) => e.requestContext.condition === 'Success');
    expect(onFailure).toMatchObject({
      version: '1.0',
      requestContext: {
        requestId: failed.requestId,
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:breaks:$LATEST',
        approximateInvokeCount: 1,
      },
      requestPayload: { id: 'b1', file: work },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        functionError: 'Unhandled',
      },
      responsePayload: { errorType: 'Error', errorMessage: 'cannot handle b1' },
    });
    expect(Date.parse(onFailure.timestamp)).not.toBeNaN();
    expect(onSuccess).toMatchObject({
      requestContext: { requestId: succeeded.requestId, condition: 'Success', approximateInvokeCount: 1 },
      requestPayload: { id: 'w1' },
      responseContext: { statusCode: 200, executedVersion: '$LATEST' },
      responsePayload: { handled: 'w1' },
    });
    expect(onSuccess.responseContext.functionError).toBeUndefined();
    // A failure delivered to a destination does not also land in the dead-letter store.
    expect(engine.invocations.deadLetters.list({ functionName: 'breaks' })).toEqual([]);
  });

  it('keeps throttled async events queued without counting attempts until capacity frees', async () => {
    await engine.functions.create({
      name: 'gated',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/ok') },
      reservedConcurrency: 0,
    });
    const file = join(dir.path, 'gated.log');
    const ids: string[] = [];
    for (const id of ['g1', 'g2']) {
      ids.push(
        (
          await engine.invocations.invoke({
            functionName: 'gated',
            invocationType: 'Event',
            payload: JSON.stringify({ id, file }),
          })
        ).requestId,
      );
    }
    expect(engine.invocations.queueDepth('gated')).toBe(2);
    const ran = collectRecords(
      engine.invocations.records,
      (seen) => seen.filter((r) => r.functionName === 'gated').length === 2,
    );
    engine.functions.putConcurrency('gated', 1);
    const records = (await ran).filter((r) => r.functionName === 'gated');
    expect(records.map((r) => [r.outcome, r.attempt])).toEqual([
      ['success', 1],
      ['success', 1],
    ]);
    expect(records.map((r) => r.requestId).sort()).toEqual([...ids].sort());
    expect(lines(file).sort()).toEqual(['ok g1', 'ok g2']);
    expect(engine.invocations.queueDepth('gated')).toBe(0);
  });

  it('sends the failure record to an on-failure queue', async () => {
    engine.queues.createQueue('failures');
    await engine.functions.create({
      name: 'breaks-to-queue',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/fail') },
    });
    engine.functions.putEventInvokeConfig('breaks-to-queue', {
      maximumRetryAttempts: 0,
      onFailure: engine.queues.queueArn('failures'),
    });
    const file = join(dir.path, 'queue-dest.log');
    const failed = await engine.invocations.invoke({
      functionName: 'breaks-to-queue',
      invocationType: 'Event',
      payload: JSON.stringify({ id: 'q1', file }),
    });
    const [message] = await engine.queues.receive('failures', { waitSeconds: 10 });
    const record = JSON.parse(message?.body ?? '{}');
    expect(record).toMatchObject({
      requestContext: { requestId: failed.requestId, condition: 'RetriesExhausted', approximateInvokeCount: 1 },
      requestPayload: { id: 'q1' },
      responsePayload: { errorMessage: 'cannot handle q1' },
    });
    expect(engine.invocations.deadLetters.list({ functionName: 'breaks-to-queue' })).toEqual([]);
  });
});

describe('invoke: event age', () => {
  it('dead-letters an event older than MaximumEventAgeInSeconds without running it', async () => {
    const dir = artifactDir('lambdata-invoke-');
    const engine = await createEngine({
      dataDir: dir.path,
      background: false,
      runtime: { prestart: 0, ...WRITES_HOST_FILES },
    });
    try {
      await engine.functions.create({
        name: 'aged',
        handler: 'index.handler',
        code: { dir: fixturePath('invoke/ok') },
      });
      engine.functions.putEventInvokeConfig('aged', { maximumEventAgeInSeconds: 60 });
      const file = join(dir.path, 'aged.log');
      const accepted = await engine.invocations.invoke({
        functionName: 'aged',
        invocationType: 'Event',
        payload: JSON.stringify({ id: 'old', file }),
      });
      // The event waited 61 s in the queue (the engine was not dispatching).
      engine.context.db.prepare('UPDATE deliveries SET enqueued_at = enqueued_at - 61000').run();
      const dead = new Promise<DeadLetter>((resolve) => engine.invocations.deadLetters.added.subscribe(resolve));
      await engine.invocations.start();
      expect(await dead).toMatchObject({ requestId: accepted.requestId, condition: 'EventAgeExceeded', attempts: 0 });
      expect(engine.invocations.recent({ functionName: 'aged' })).toEqual([]);
      expect(engine.invocations.queueDepth('aged')).toBe(0);
    } finally {
      await engine.invocations.stop();
      await engine.close();
      dir.remove();
    }
  });
});
