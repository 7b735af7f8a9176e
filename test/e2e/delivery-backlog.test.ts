import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine.js';
import { artifactDir } from '../helpers/artifacts.js';
import { fixturePath } from '../helpers/fixtures.js';
import { collectRecords } from '../helpers/wait.js';

const BACKLOG = 1200;

describe('delivery pipeline: a backlog of a fast function', () => {
  const dir = artifactDir('lambdata-backlog-');
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine({ dataDir: join(dir.path, 'data'), background: false });
    for (const name of ['burst', 'other']) {
      await engine.functions.create({ name, handler: 'index.handler', code: { dir: fixturePath('invoke/echo') } });
    }
  });
  afterAll(async () => {
    await engine.close();
    dir.remove();
  });

  it("runs every queued event without holding the account's concurrency: another function's sync invoke is not throttled", async () => {
    // A queue of 1,200 events (an SNS burst) that a few warm environments run in a second or two.
    for (let i = 0; i < BACKLOG; i++) {
      await engine.invocations.invoke({ functionName: 'burst', invocationType: 'Event', payload: `{"i":${i}}` });
    }
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, engine.invocations.concurrency().inUse);
    }, 2);
    try {
      const ran = collectRecords(
        engine.invocations.records,
        (seen) => seen.filter((r) => r.functionName === 'burst').length === BACKLOG,
        120_000,
      );
      const first = collectRecords(engine.invocations.records, (seen) => seen.length >= 20, 60_000);
      await engine.invocations.start();
      await first;
      // Events waiting for a warm environment do not take slots of the account's 1,000 (they once took all).
      const sync = await engine.invocations.invoke({ functionName: 'other', payload: '{"sync":true}' });
      expect(sync.statusCode).toBe(200);
      expect(JSON.parse(sync.payload.toString())).toEqual({ echo: { sync: true } });
      const records = await ran;
      expect(new Set(records.filter((r) => r.functionName === 'burst').map((r) => r.requestId)).size).toBe(BACKLOG);
      expect(records.every((r) => r.outcome === 'success')).toBe(true);
      expect(peak).toBeLessThan(500);
    } finally {
      clearInterval(sampler);
    }
  });
});
