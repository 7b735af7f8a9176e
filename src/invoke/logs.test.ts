import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type TestContext, testContext } from '../../test/helpers/engine-context.js';
import { openDb } from '../state/db.js';
import { LogStore } from './logs.js';

const contexts: TestContext[] = [];
function context(dataDir?: string): TestContext {
  const ctx = testContext('logs', dataDir);
  contexts.push(ctx);
  return ctx;
}

/** Appends `line` of invocation `id` of `fn` at epoch ms `time`. */
function append(logs: LogStore, fn: string, id: string, time: number, line: string): void {
  vi.setSystemTime(time);
  logs.appendLine(fn, id, line);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});

afterEach(() => {
  vi.useRealTimers();
  for (const ctx of contexts.splice(0)) ctx.dispose();
});

describe('LogStore', () => {
  it('reads back interleaved invocations line by line, each line with its own time, in one row per invocation', () => {
    const ctx = context();
    const logs = new LogStore(ctx);
    append(logs, 'f', 'a', 1000, 'START a');
    append(logs, 'f', 'b', 1001, 'START b');
    append(logs, 'f', 'a', 1003, 'hello\tfrom a');
    append(logs, 'f', 'b', 1004, '["looks like", "json"]');
    append(logs, 'f', 'a', 1007, 'END a');
    append(logs, 'g', 'c', 1008, 'START c');
    const lines = logs.tail({ functionName: 'f' });
    expect(lines).toEqual([
      { functionName: 'f', requestId: 'a', time: 1000, line: 'START a' },
      { functionName: 'f', requestId: 'a', time: 1003, line: 'hello\tfrom a' },
      { functionName: 'f', requestId: 'a', time: 1007, line: 'END a' },
      { functionName: 'f', requestId: 'b', time: 1001, line: 'START b' },
      { functionName: 'f', requestId: 'b', time: 1004, line: '["looks like", "json"]' },
    ]);
    // Lines appended after a batch was written go to a row of their own, after it.
    append(logs, 'f', 'a', 1010, 'REPORT a');
    expect(logs.tail({ functionName: 'f', requestId: 'a' }).map((l) => l.line)).toEqual([
      'START a',
      'hello\tfrom a',
      'END a',
      'REPORT a',
    ]);
    const rows = ctx.db.prepare('SELECT COUNT(*) AS n FROM invoke_log_lines').get() as { n: number };
    expect(rows.n).toBe(4); // a, b and c in the first batch, a's REPORT in the second
  });

  it('returns the newest `limit` lines, and only lines at or after `since`, even from inside a row', () => {
    const logs = new LogStore(context());
    for (let i = 0; i < 10; i++) append(logs, 'f', 'a', 2000 + i, `line ${i}`);
    expect(logs.tail({ functionName: 'f', limit: 3 }).map((l) => l.line)).toEqual(['line 7', 'line 8', 'line 9']);
    expect(logs.tail({ functionName: 'f', since: 2008 }).map((l) => l.line)).toEqual(['line 8', 'line 9']);
    expect(logs.tail({ functionName: 'f', since: 2100 })).toEqual([]);
  });

  it('prunes the oldest lines past keepLines, counting the lines rows hold', () => {
    const ctx = context();
    const logs = new LogStore(ctx, { keepLines: 30 });
    // 40 invocations of 3 lines, one batch each (tail flushes): 120 lines, of which ~30 are kept.
    for (let i = 0; i < 40; i++) {
      for (const word of ['START', 'hello', 'END']) append(logs, 'f', `r${i}`, 3000 + i, `${word} r${i}`);
      logs.flush();
    }
    const kept = logs.tail({ functionName: 'f' });
    expect(kept.length).toBeGreaterThanOrEqual(30);
    expect(kept.length).toBeLessThanOrEqual(36);
    expect(kept.at(-1)?.line).toBe('END r39');
    expect(() => new LogStore(ctx, { keepLines: 0 })).toThrow(/keepLines/);
  });

  it('keeps reading the one-line rows of a table written before rows held several lines', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-logs-'));
    const old = openDb(dataDir);
    old.exec(`CREATE TABLE invoke_log_lines (
      id INTEGER PRIMARY KEY AUTOINCREMENT, function_name TEXT NOT NULL, request_id TEXT NOT NULL,
      time INTEGER NOT NULL, line TEXT NOT NULL)`);
    old
      .prepare('INSERT INTO invoke_log_lines (function_name, request_id, time, line) VALUES (?, ?, ?, ?)')
      .run('f', 'old', 500, 'START old');
    old.close();
    const logs = new LogStore(context(dataDir));
    append(logs, 'f', 'new', 600, 'START new');
    append(logs, 'f', 'new', 601, 'END new');
    expect(logs.tail({ functionName: 'f' })).toEqual([
      { functionName: 'f', requestId: 'old', time: 500, line: 'START old' },
      { functionName: 'f', requestId: 'new', time: 600, line: 'START new' },
      { functionName: 'f', requestId: 'new', time: 601, line: 'END new' },
    ]);
  });
});
