/**
 * Pre-started Python interpreters: once a Python function has had a cold start, blank interpreters
 * wait for the next ones, and a blank handed a function runs it as that function's own user, with
 * only its variables, exactly as one started for it.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, fn, invoke } from '../fixtures/runtime/harness.js';
import { fixturePath } from '../helpers/fixtures.js';

describe('runtime: pre-started python interpreters', () => {
  let harness: ReturnType<typeof createPool>;
  beforeAll(() => {
    harness = createPool({ prestart: 1 });
  });
  afterAll(() => harness.close());

  let functions = 0;
  /** A Python function whose code is staged under the data dir, as deployed functions are (a blank can be handed only those). */
  const python = (overrides = {}) => {
    const name = `py${++functions}`;
    const codeDir = join(harness.dataDir, 'functions', name, 'code');
    cpSync(fixturePath('python/basics'), codeDir, { recursive: true });
    return fn('lambda_function.lambda_handler', { name, runtime: 'python3.12', codeDir, ...overrides });
  };

  it('keeps interpreters pre-started after the first cold start, and hands them functions', async () => {
    const first = await invoke(harness.pool, python(), { n: 1 });
    expect(first.outcome).toBe('success');
    // The Node blank plus one Python blank.
    const deadline = Date.now() + 20_000;
    while (harness.pool.stats().prestarted < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(harness.pool.stats().prestarted).toBe(2);

    const second = await invoke(harness.pool, python({ environment: { ONLY_MINE: 'yes' } }), { n: 2 });
    expect(second).toMatchObject({ outcome: 'success', coldStart: true });
    expect(second.initDurationMs).toBeGreaterThan(0);
    expect(second.body).toMatchObject({ event: { n: 2 }, init_count: 1, invocations: 1 });
    expect(second.lines).toContain('module loaded');
    if (harness.pool.sandbox.level === 'namespaces') {
      // Handed over as root inside its sandbox, it gave root up for the function's own user.
      expect(second.body.uid).toBeGreaterThanOrEqual(900_000);
    }
    // A blank's Init Duration is the handler's import only, not the interpreter's start as well.
    expect(second.initDurationMs).toBeLessThan(first.initDurationMs as number);
  });

  it('starts a function that sets PYTHON* variables in its own process, since they act at start only', async () => {
    const own = await invoke(harness.pool, python({ environment: { PYTHONOPTIMIZE: '1' } }), { n: 3 });
    expect(own).toMatchObject({ outcome: 'success', body: { event: { n: 3 } } });
  });
});
