import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine.js';
import { artifactDir } from '../helpers/artifacts.js';
import { fixturePath } from '../helpers/fixtures.js';
import { collectRecords } from '../helpers/wait.js';

const BACKLOG = 12;

describe('delivery pipeline: targets take turns', () => {
  const dir = artifactDir('lambdata-fairness-');
  let engine: Engine;
  beforeAll(async () => {
    // One slot for the whole account: every freed slot is a choice between the two functions.
    engine = await createEngine({
      dataDir: join(dir.path, 'data'),
      background: false,
      accountConcurrency: 1,
      runtime: { prestart: 0 },
    });
    for (const name of ['busy', 'other']) {
      await engine.functions.create({ name, handler: 'index.handler', code: { dir: fixturePath('invoke/slow') } });
    }
  });
  afterAll(async () => {
    await engine.close();
    dir.remove();
  });

  it("runs a function's one queued event while another function's backlog is still queued", async () => {
    // Queued before the pump starts, the backlog first: a pump that always serves targets in the same
    // order hands every freed slot to `busy` and runs `other` only after the whole backlog.
    for (let i = 0; i < BACKLOG; i++) {
      await engine.invocations.invoke({ functionName: 'busy', invocationType: 'Event', payload: '{"ms":30}' });
    }
    await engine.invocations.invoke({ functionName: 'other', invocationType: 'Event', payload: '{"ms":30}' });
    const ran = collectRecords(engine.invocations.records, (seen) => seen.length === BACKLOG + 1, 60_000);
    await engine.invocations.start();
    const order = (await ran).sort((a, b) => a.startedAt - b.startedAt).map((r) => r.functionName);
    expect(order.filter((name) => name === 'busy')).toHaveLength(BACKLOG);
    // Its turn comes within the first few freed slots, not after the other function's backlog.
    expect(order.indexOf('other')).toBeLessThan(4);
  });
});
