import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';
import type { InvokeResult } from '../../src/invoke/index.js';
import { LambdataError, type TooManyRequests } from '../../src/shared/errors.js';
import { artifactDir } from '../helpers/artifacts.js';
import { fixturePath } from '../helpers/fixtures.js';

const json = (buf: Buffer) => JSON.parse(buf.toString('utf8'));
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const REPORT = new RegExp(
  `^REPORT RequestId: (${UUID})\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: (\\d+) ms\\tMemory Size: (\\d+) MB\\tMax Memory Used: \\d+ MB(\\tInit Duration: \\d+\\.\\d{2} ms)?$`,
);

async function errorOf(promise: Promise<unknown>): Promise<LambdataError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof LambdataError)) throw new Error(`expected a LambdataError, got ${String(err)}`);
  return err;
}

describe('invoke: synchronous invocations', () => {
  const dir = artifactDir('lambdata-invoke-');
  let engine: Engine;

  beforeAll(async () => {
    engine = await createEngine({ dataDir: dir.path, runtime: { prestart: 0 } });
    await engine.functions.create({
      name: 'echo',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/echo') },
      memoryMb: 256,
    });
  });
  afterAll(async () => {
    await engine.close();
    dir.remove();
  });

  it('writes START, the function lines, END and REPORT in AWS format; Init Duration only when cold', async () => {
    const cold = await engine.invocations.invoke({ functionName: 'echo', payload: '{"hello":"world"}' });
    const warm = await engine.invocations.invoke({ functionName: 'echo', payload: '{"hello":"again"}' });
    for (const [result, coldStart] of [
      [cold, true],
      [warm, false],
    ] as const) {
      const lines = engine.logs.tail({ functionName: 'echo', requestId: result.requestId }).map((l) => l.line);
      expect(lines[0]).toBe(`START RequestId: ${result.requestId} Version: $LATEST`);
      expect(lines.some((l) => l.includes(result.requestId) && l.includes('echoing'))).toBe(true);
      expect(lines.at(-2)).toBe(`END RequestId: ${result.requestId}`);
      const report = REPORT.exec(lines.at(-1) ?? '');
      expect(report, lines.at(-1)).not.toBeNull();
      expect(report?.[1]).toBe(result.requestId);
      expect(report?.[3]).toBe('256');
      expect(Boolean(report?.[4])).toBe(coldStart);
      expect(result.record?.initDurationMs !== null).toBe(coldStart);
    }
  });

  it('returns the last 4 KB of the log with LogType Tail', async () => {
    const small = await engine.invocations.invoke({ functionName: 'echo', payload: '{"x":1}', logType: 'Tail' });
    const text = Buffer.from(small.logResult ?? '', 'base64').toString('utf8');
    expect(text.startsWith(`START RequestId: ${small.requestId}`)).toBe(true);
    expect(text).toMatch(/\nREPORT RequestId: [^\n]+\n$/);

    const big = await engine.invocations.invoke({
      functionName: 'echo',
      payload: JSON.stringify({ pad: 'p'.repeat(10_000) }),
      logType: 'Tail',
    });
    const tail = Buffer.from(big.logResult ?? '', 'base64');
    expect(tail.length).toBe(4096);
    expect(tail.toString('utf8')).toContain(`END RequestId: ${big.requestId}`);
    const none = await engine.invocations.invoke({ functionName: 'echo' });
    expect(none.logResult).toBeUndefined();
  });

  it('bills duration rounded up to 1 ms and GB-seconds from memory, and the summary adds up', async () => {
    const results: InvokeResult[] = [];
    for (let i = 0; i < 3; i++)
      results.push(await engine.invocations.invoke({ functionName: 'echo', payload: `{"i":${i}}` }));
    for (const { record } of results) {
      if (!record) throw new Error('no record');
      expect(record.billedDurationMs).toBe(Math.max(1, Math.ceil(record.durationMs)));
      expect(record.gbSeconds).toBeCloseTo((256 / 1024) * (record.billedDurationMs / 1000), 12);
      expect(record.costUsd).toBeCloseTo(record.gbSeconds * 0.0000166667 + 0.2 / 1e6, 15);
    }
    const records = engine.invocations.recent({ functionName: 'echo', limit: 1000 });
    const summary = engine.billing.summary({ functionName: 'echo' });
    expect(summary.invocations).toBe(records.length);
    expect(summary.billedMs).toBe(records.reduce((t, r) => t + r.billedDurationMs, 0));
    expect(summary.requestCostUsd).toBeCloseTo(records.length * 2e-7, 15);
    expect(summary.totalCostUsd).toBeCloseTo(summary.requestCostUsd + summary.computeCostUsd, 15);
    expect(engine.billing.billedDuration(0.2)).toBe(1);
    expect(engine.billing.cost(1024, 1000).gbSeconds).toBe(1);
  });

  it('returns function errors as 200 with functionError and the AWS error body', async () => {
    const result = await engine.invocations.invoke({ functionName: 'echo', payload: '{"fail":"boom"}' });
    expect(result.statusCode).toBe(200);
    expect(result.functionError).toBe('Unhandled');
    const body = json(result.payload);
    expect(body).toMatchObject({ errorType: 'TypeError', errorMessage: 'asked to fail: boom' });
    expect(Array.isArray(body.trace)).toBe(true);
    expect(result.record?.errorType).toBe('TypeError');
  });

  it('times out as Unhandled and appends the Task timed out line after REPORT', async () => {
    await engine.functions.create({
      name: 'sleepy',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/echo') },
      timeoutS: 1,
    });
    const result = await engine.invocations.invoke({ functionName: 'sleepy', payload: '{"sleepMs":3000}' });
    expect(result.functionError).toBe('Unhandled');
    expect(result.record?.outcome).toBe('timeout');
    const lines = engine.logs.tail({ functionName: 'sleepy', requestId: result.requestId }).map((l) => l.line);
    expect(lines.at(-2)).toMatch(REPORT);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z ${result.requestId} Task timed out after 1\\.00 seconds$`),
    );
  });

  it('checks payloads: JSON only, 6 MB sync, 1 MB async; DryRun validates only', async () => {
    expect((await errorOf(engine.invocations.invoke({ functionName: 'echo', payload: '{not json' }))).code).toBe(
      'InvalidRequestContentException',
    );
    const tooBig = await errorOf(
      engine.invocations.invoke({ functionName: 'echo', payload: `"${'a'.repeat(6 * 1024 * 1024)}"` }),
    );
    expect([tooBig.code, tooBig.status]).toEqual(['RequestTooLargeException', 413]);
    const asyncBig = await errorOf(
      engine.invocations.invoke({
        functionName: 'echo',
        invocationType: 'Event',
        payload: `"${'a'.repeat(1024 * 1024)}"`,
      }),
    );
    expect(asyncBig.code).toBe('RequestTooLargeException');
    expect(engine.invocations.queueDepth('echo')).toBe(0);
    const before = engine.invocations.recent({ functionName: 'echo', limit: 1000 }).length;
    const dry = await engine.invocations.invoke({ functionName: 'echo', invocationType: 'DryRun', payload: '{}' });
    expect(dry.statusCode).toBe(204);
    expect(engine.invocations.recent({ functionName: 'echo', limit: 1000 }).length).toBe(before);
  });

  it('throttles a function with reserved concurrency 0, records it, and does not bill it', async () => {
    await engine.functions.create({
      name: 'reserved-zero',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/echo') },
      reservedConcurrency: 0,
    });
    const err = await errorOf(engine.invocations.invoke({ functionName: 'reserved-zero' }));
    expect(err.code).toBe('TooManyRequestsException');
    expect(err.status).toBe(429);
    expect((err as TooManyRequests).reason).toBe('ReservedFunctionConcurrentInvocationLimitExceeded');
    expect(engine.invocations.recent({ functionName: 'reserved-zero' })[0]?.outcome).toBe('throttled');
    expect(engine.billing.summary({ functionName: 'reserved-zero' }).invocations).toBe(0);
  });
});

describe('invoke: account concurrency limit', () => {
  it('answers 429 over the wire when the account limit is reached while the others succeed', async () => {
    const dir = artifactDir('lambdata-invoke-');
    const engine = await createEngine({ dataDir: dir.path, accountConcurrency: 2, runtime: { prestart: 0 } });
    const server = await startServer(engine, { port: 0 });
    const lambda = new LambdaClient({
      maxAttempts: 1,
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      await engine.functions.create({
        name: 'slow',
        handler: 'index.handler',
        code: { dir: fixturePath('invoke/slow') },
      });
      const calls = [0, 1, 2].map(() =>
        engine.invocations.invoke({ functionName: 'slow', payload: '{"ms":1500}' }).then(
          (r) => ({ ok: r }),
          (e: unknown) => ({ err: e as TooManyRequests }),
        ),
      );
      // While two run, a call over the wire is throttled too.
      const wire = await lambda
        .send(new InvokeCommand({ FunctionName: 'slow', Payload: Buffer.from('{"ms":1}') }))
        .catch((e: unknown) => e);
      expect(wire).toBeInstanceOf(TooManyRequestsException);
      expect((wire as TooManyRequestsException).Reason).toBe('ConcurrentInvocationLimitExceeded');
      const settled = await Promise.all(calls);
      const ok = settled.filter((s) => 'ok' in s);
      const throttled = settled.filter((s) => 'err' in s);
      expect(ok).toHaveLength(2);
      expect(throttled.map((s) => ('err' in s ? [s.err.code, s.err.reason] : []))).toEqual([
        ['TooManyRequestsException', 'ConcurrentInvocationLimitExceeded'],
      ]);
      expect(engine.invocations.concurrency()).toMatchObject({ inUse: 0, limit: 2 });
      // Capacity is back once they finish.
      const after = await lambda.send(
        new InvokeCommand({ FunctionName: 'slow', Payload: Buffer.from('{"ms":1}'), LogType: 'Tail' }),
      );
      expect(JSON.parse(Buffer.from(after.Payload ?? []).toString())).toEqual({ slept: 1 });
      expect(Buffer.from(after.LogResult ?? '', 'base64').toString()).toMatch(/^START RequestId: /);
    } finally {
      lambda.destroy();
      await server.close();
      await engine.close();
      dir.remove();
    }
  });
});
