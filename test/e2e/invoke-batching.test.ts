import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine.js';
import { artifactDir } from '../helpers/artifacts.js';
import { fixturePath } from '../helpers/fixtures.js';

// Records, billing rows and log lines are buffered and written once per batch: readers must see
// them at once, and a clean close must leave them on disk.
describe('invoke: batched bookkeeping', () => {
  const dir = artifactDir('lambdata-invoke-');
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine({ dataDir: dir.path, background: false });
    await engine.functions.create({
      name: 'echo',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/echo') },
    });
  });
  afterAll(async () => {
    await engine.close();
    dir.remove();
  });

  it('shows each invocation in records, billing and logs right after it returns, and keeps them across a restart', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const result = await engine.invocations.invoke({ functionName: 'echo', payload: JSON.stringify({ i }) });
      ids.push(result.requestId);
      // No tick in between: the reads must flush what is buffered.
      expect(engine.invocations.recent({ functionName: 'echo', limit: 1 })[0]?.requestId).toBe(result.requestId);
      expect(engine.billing.summary({ functionName: 'echo' }).invocations).toBe(i + 1);
      const lines = engine.logs.tail({ functionName: 'echo', requestId: result.requestId }).map((l) => l.line);
      expect(lines[0]).toBe(`START RequestId: ${result.requestId} Version: $LATEST`);
      expect(lines.some((line) => line.includes(`echoing {"i":${i}}`))).toBe(true);
      expect(lines.at(-1)).toMatch(new RegExp(`^REPORT RequestId: ${result.requestId}\\tDuration: `));
    }
    // An invocation whose rows are still buffered when the engine closes.
    const last = await engine.invocations.invoke({ functionName: 'echo', payload: '{"i":5}' });
    ids.push(last.requestId);
    await engine.close();

    engine = await createEngine({ dataDir: dir.path, background: false });
    const stored = engine.invocations.recent({ functionName: 'echo' }).map((r) => r.requestId);
    expect(stored).toEqual([...ids].reverse());
    expect(engine.billing.summary({ functionName: 'echo' }).invocations).toBe(6);
    const ends = engine.logs.tail({ functionName: 'echo' }).filter((l) => l.line.startsWith('END RequestId: '));
    expect(ends.map((l) => l.requestId)).toEqual(ids);
  });

  it('stores every line of a burst whose batch spans several multi-row inserts', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => engine.invocations.invoke({ functionName: 'echo', payload: `{"b":${i}}` })),
    );
    const ids = new Set(results.map((r) => r.requestId));
    const lines = engine.logs.tail({ functionName: 'echo', limit: 10_000 }).filter((l) => ids.has(l.requestId));
    expect(lines.filter((l) => l.line.startsWith('START ')).length).toBe(40);
    expect(lines.filter((l) => l.line.startsWith('REPORT ')).length).toBe(40);
    for (let i = 0; i < 40; i++) expect(lines.some((l) => l.line.includes(`echoing {"b":${i}}`))).toBe(true);
  });

  it('invokes with the configuration of the moment: an update is seen by the next invocation', async () => {
    await engine.functions.create({
      name: 'configured',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/echo') },
      memoryMb: 128,
    });
    const before = await engine.invocations.invoke({ functionName: 'configured', payload: '{}' });
    expect(before.record?.memorySizeMb).toBe(128);
    engine.functions.updateConfig('configured', { memoryMb: 256 });
    const after = await engine.invocations.invoke({ functionName: 'configured', payload: '{}' });
    expect(after.record?.memorySizeMb).toBe(256);
    engine.functions.putConcurrency('configured', 0);
    await expect(engine.invocations.invoke({ functionName: 'configured', payload: '{}' })).rejects.toMatchObject({
      code: 'TooManyRequestsException',
    });
    engine.functions.putConcurrency('configured', null);
    const again = await engine.invocations.invoke({ functionName: 'configured', payload: '{}' });
    expect(again.statusCode).toBe(200);
  });
});
