import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type ObjectSource, planFingerprint, planMap, splitBytes } from './planner.js';
import { validateSpec } from './spec.js';
import type { JobSpec } from './types.js';

const MB = 1024 * 1024;

/** An object source that lists `count` objects of `size` bytes (bodies are never read here). */
function listing(count: number, size: number): ObjectSource {
  const objects = Array.from({ length: count }, (_, i) => ({ key: `in/part-${String(i).padStart(4, '0')}`, size }));
  return {
    listObjects: () => ({ objects, isTruncated: false }),
    headObject: () => ({ size }),
    getObject: async () => ({ body: Readable.from([]) }),
    putObject: async () => undefined,
    listObjectVersions: () => ({ versions: [], isTruncated: false }),
    deleteObjects: () => undefined,
  };
}

describe('map planning', () => {
  it('packs splits into about two tasks per core, each split in exactly one task', async () => {
    const plan = await planMap(
      listing(16, 64 * MB),
      { mapper: 'wordcount', input: { bucket: 'b', prefix: 'in/' }, splitSize: 64 * MB },
      50,
    );
    const wanted = Math.min(50, 2 * availableParallelism());
    expect(plan.splits).toBe(16);
    expect(plan.tasks.length).toBe(Math.ceil(16 / Math.ceil(16 / wanted)));
    const seen = plan.tasks.flatMap((t) => t.splits.map((s) => `${s.key}:${s.start}`));
    expect(new Set(seen).size).toBe(16);
    for (const task of plan.tasks) expect(task.bytes).toBe(task.splits.reduce((n, s) => n + splitBytes(s), 0));
  });

  it('keeps tasks at 512 MB at most, at 1 MB at least, and honours a given task size', async () => {
    const big = await planMap(
      listing(8, 1024 * MB),
      { mapper: 'wordcount', input: { bucket: 'b' }, splitSize: 64 * MB },
      50,
    );
    expect(Math.max(...big.tasks.map((t) => t.bytes))).toBeLessThanOrEqual(512 * MB);
    const small = await planMap(
      listing(40, 100_000),
      { mapper: 'wordcount', input: { bucket: 'b' }, splitSize: 10_000 },
      50,
    );
    expect(small.tasks.length).toBe(4); // 4 MB in 400 splits: tasks of 1 MB at least
    const given = await planMap(
      listing(4, 64 * MB),
      { mapper: 'wordcount', input: { bucket: 'b' }, splitSize: 16 * MB, taskSize: 16 * MB },
      50,
    );
    expect(given.tasks.length).toBe(16);
  });
});

describe('task sizes', () => {
  const spec = { mapper: 'wordcount', input: { bucket: 'b' }, splitSize: 64 * MB };

  it('packs objects a little over an even share evenly (text cut at line ends)', async () => {
    const objects = Array.from({ length: 16 }, (_, i) => ({ key: `in/${i}`, size: 64 * MB + (i % 3) * 40 - 40 }));
    const source = { ...listing(0, 0), listObjects: () => ({ objects, isTruncated: false }) };
    const plan = await planMap(source, spec, 50, { parallelism: 2 });
    expect(plan.tasks.map((t) => t.splits.length)).toEqual([4, 4, 4, 4]);
  });

  it('puts thousands of small objects in a few tasks, each event within its budget', async () => {
    const objects = [
      ...Array.from({ length: 4000 }, (_, i) => ({ key: `in/part-${String(i).padStart(5, '0')}.txt`, size: 65_000 })),
      { key: 'in/zz-big.txt', size: 768 * MB },
    ];
    const source = { ...listing(0, 0), listObjects: () => ({ objects, isTruncated: false }) };
    const plan = await planMap(source, spec, 50, { parallelism: 2 });
    const small = plan.tasks.filter((t) => t.splits.some((s) => s.size === 65_000));
    expect(small.length).toBeLessThanOrEqual(3);
    expect(plan.tasks.length).toBeLessThanOrEqual(6);
    for (const task of plan.tasks) expect(JSON.stringify(task.splits).length).toBeLessThan(320 * 1024);
  });

  it('gives each task of a narrow fan-out a larger share of the cascade event: no small last task', async () => {
    // A 1 GB master dataset: ~5,100 gzip objects of ~35 KB under long keys.
    const objects = Array.from({ length: 5137 }, (_, i) => ({
      key: `bench-master/dt=2026-12-07/hour=${String(i % 24).padStart(2, '0')}/part-shardId-000000000001-${String(49_000_000_000 + i).padStart(120, '0')}.jsonl.gz`,
      size: 34_000 + (i % 7) * 100,
    }));
    const source = { ...listing(0, 0), listObjects: () => ({ objects, isTruncated: false }) };
    const narrow = await planMap(source, { ...spec, fanout: 4 }, 4, { parallelism: 2 });
    expect(narrow.tasks.length).toBe(4);
    const sizes = narrow.tasks.map((t) => t.bytes);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(100_000);
    const events = narrow.tasks.map((t) => JSON.stringify(t.splits).length);
    expect(events.reduce((a, b) => a + b, 0)).toBeLessThan(10 * 320 * 1024);
    // At the default fan-out of 10 a task's descriptions stay within 320 KB, as before.
    const wide = await planMap(source, spec, 4, { parallelism: 2 });
    expect(wide.tasks.length).toBeGreaterThan(4);
    for (const task of wide.tasks) expect(JSON.stringify(task.splits).length).toBeLessThan(320 * 1024);
  });
});

describe('plan parameters for resumes', () => {
  const spec = { mapper: 'wordcount', input: { bucket: 'b' }, splitSize: 16 * MB };

  it('sizes tasks by the given parallelism, and a recorded plan reproduces the first one on any host', async () => {
    const one = await planMap(listing(16, 16 * MB), spec, 50, { parallelism: 1 });
    const eight = await planMap(listing(16, 16 * MB), spec, 50, { parallelism: 8 });
    expect(one.tasks.length).toBe(2);
    expect(eight.tasks.length).toBe(16);
    expect(eight.params.fingerprint).not.toBe(one.params.fingerprint);
    const again = await planMap(listing(16, 16 * MB), spec, 50, { parallelism: 8, recorded: one.params });
    expect(again.params).toEqual(one.params);
    expect(again.tasks.map((t) => t.splits.map((s) => `${s.key}:${s.start}`))).toEqual(
      one.tasks.map((t) => t.splits.map((s) => `${s.key}:${s.start}`)),
    );
  });

  it('changes the fingerprint when the input changes under the same parameters', async () => {
    const before = await planMap(listing(16, 16 * MB), spec, 50, { parallelism: 1 });
    const grown = await planMap(listing(16, 16 * MB + 1), spec, 50, { parallelism: 1, recorded: before.params });
    const more = await planMap(listing(17, 16 * MB), spec, 50, { parallelism: 1, recorded: before.params });
    expect(grown.params.fingerprint).not.toBe(before.params.fingerprint);
    expect(more.params.fingerprint).not.toBe(before.params.fingerprint);
  });

  it('is the digest jobs recorded before (a job planned then still resumes)', async () => {
    const plan = await planMap(listing(40, 3 * MB), { ...spec, format: 'gzip' }, 50, { parallelism: 2 });
    // As fingerprints were computed until now: the same text, hashed a line at a time.
    const hash = createHash('sha256');
    for (const task of plan.tasks) {
      hash.update(`${task.taskId}\n`);
      for (const s of task.splits) {
        hash.update(
          JSON.stringify([s.bucket, s.key, s.size, s.format, s.start, s.end, s.offset ?? null, s.length ?? null]),
        );
        hash.update('\n');
      }
    }
    const recorded = hash.digest('hex');
    expect(plan.tasks.length).toBeGreaterThan(1);
    expect(planFingerprint(plan.tasks)).toBe(recorded);
    expect(plan.params.fingerprint).toBe(recorded);
  });
});

describe('listed keys with known sizes', () => {
  it('plans them without a HEAD per key, and validates the sizes', async () => {
    let heads = 0;
    const source: ObjectSource = { ...listing(0, 0), headObject: () => ({ size: heads++ }) };
    const keys = ['d/a.gz', 'd/b.gz', 'd/c.gz'];
    const plan = await planMap(source, { mapper: 'm', input: { bucket: 'b', keys, sizes: [10, 0, 30] } }, 4);
    expect(heads).toBe(0);
    expect(plan.objects).toEqual([
      { key: 'd/a.gz', size: 10 },
      { key: 'd/b.gz', size: 0 },
      { key: 'd/c.gz', size: 30 },
    ]);
    expect(plan.bytes).toBe(40);
    await planMap(source, { mapper: 'm', input: { bucket: 'b', keys } }, 4);
    expect(heads).toBe(3);
    for (const sizes of [[1, 2], [1, 2, -1], [1, 2, 1.5], 'x', [1, 2, '3']])
      expect(() => validateSpec({ mapper: 'm', input: { bucket: 'b', keys, sizes } } as unknown as JobSpec)).toThrow(
        /input.sizes must be one size in bytes/,
      );
    expect(() => validateSpec({ mapper: 'm', input: { bucket: 'b', prefix: 'd/', sizes: [] } })).toThrow(/input.sizes/);
  });
});
