import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, FIXTURES, fn, invoke } from '../fixtures/runtime/harness.js';

const PARENT = join(FIXTURES, 'parent');
const SESSION = join(FIXTURES, 'session');

/** The command line of a process, as /proc has it. */
function commandLine(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ');
}

/** The parent PID of a process, from /proc/<pid>/stat. */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

describe('runtime: environments start from the launcher, never a fork of the engine', () => {
  let harness: ReturnType<typeof createPool>;
  beforeAll(() => {
    // The process level: the function sees the host's PIDs, so it can tell who its parent is.
    harness = createPool({ prestart: 1, sandbox: 'process' });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('starts a pre-started blank and a process of its own (NODE_OPTIONS) from the launcher', async () => {
    const environments: Record<string, string>[] = [{}, { NODE_OPTIONS: '--max-semi-space-size=2' }];
    for (const environment of environments) {
      const result = await invoke(harness.pool, fn('index.handler', { codeDir: PARENT, environment }));
      expect(result.outcome).toBe('success');
      const { ppid } = result.body as { ppid: number };
      expect(ppid).not.toBe(process.pid);
      expect(commandLine(ppid)).toMatch(/runtime\/launcher\.js/);
      expect(parentOf(ppid)).toBe(process.pid); // the launcher is the engine's own child
    }
  });

  it('runs each environment niced, in a session niced as much (a session of its own weighs a nice-0 thread)', async (ctx) => {
    const result = await invoke(harness.pool, fn('index.handler', { codeDir: SESSION }));
    expect(result.outcome).toBe('success');
    const { nice, autogroup } = result.body as { nice: number; autogroup: string | null };
    expect(nice).toBe(10);
    if (autogroup === null) ctx.skip(); // a kernel without autogroups
    expect(autogroup).toMatch(/^\/autogroup-\d+ nice 10$/);
  });

  for (const level of ['namespaces', 'user-namespaces']) {
    it(`nices the session of an environment in a ${level} sandbox too`, async (ctx) => {
      let sandboxed: ReturnType<typeof createPool>;
      try {
        sandboxed = createPool({ sandbox: level });
      } catch {
        return ctx.skip(); // not available here (namespaces need root; user namespaces, no root)
      }
      try {
        const result = await invoke(sandboxed.pool, fn('index.handler', { codeDir: SESSION }));
        expect(result.outcome).toBe('success');
        const { nice, autogroup } = result.body as { nice: number; autogroup: string | null };
        expect(nice).toBe(10);
        if (autogroup === null) ctx.skip(); // a kernel without autogroups
        expect(autogroup).toMatch(/^\/autogroup-\d+ nice 10$/);
      } finally {
        await sandboxed.close();
      }
    });
  }

  it("hands the process's first bytes to the engine: an invalid NODE_OPTIONS is reported with node's own words", async () => {
    const result = await invoke(
      harness.pool,
      fn('index.handler', { codeDir: PARENT, environment: { NODE_OPTIONS: '--no-such-option-anywhere' } }),
    );
    expect(result.outcome).toBe('unhandled');
    expect(result.lines.join('\n')).toMatch(/--no-such-option-anywhere is not allowed in NODE_OPTIONS/);
  });
});
