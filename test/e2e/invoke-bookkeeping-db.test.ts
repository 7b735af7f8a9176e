// Invocation records, log lines and billing live in their own database (invocations.db), written by a
// thread of serve's own: reads right after an invoke see it, and the tables an earlier version kept in
// the engine's database (lambdata.db) move there on upgrade, once, even across a crash mid-move.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateLedger } from '../../src/invoke/billing-ledger.js';
import { migrateLogs } from '../../src/invoke/logs.js';
import { migrateRecords } from '../../src/invoke/records.js';
import { zipFixture } from '../helpers/fixtures.js';
import { api } from '../helpers/native-api.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const TABLES = [
  'invoke_records',
  'invoke_log_lines',
  'invoke_billing',
  'invoke_billing_sync',
  'invoke_billing_pruned',
  'invoke_billing_hours',
];

interface Seen {
  requestIds: string[];
  logs: string[];
  billing: { invocations: number; billedMs: number };
}

let serve: ServeProcess | undefined;
afterEach(async () => {
  await serve?.close();
  serve = undefined;
});

/** Deploys `echo` (from the fixture dir) and invokes it `n` times; answers the request ids. */
async function invokeEcho(url: string, n: number): Promise<string[]> {
  await api(url, 'PUT', '/functions/echo', {
    handler: 'index.handler',
    code: { zipBase64: zipFixture('lambda/echo').toString('base64') },
  });
  const ids: string[] = [];
  for (let i = 0; i < n; i++)
    ids.push((await api<{ requestId: string }>(url, 'POST', '/functions/echo/invoke', { i })).requestId);
  return ids;
}

/** What serve reports of `echo`: its records' request ids, its log lines, its billing. */
async function seen(url: string): Promise<Seen> {
  const records = await api<{ invocations: Array<{ requestId: string }> }>(url, 'GET', '/invocations?function=echo');
  const logs = await api<{ lines: Array<{ line: string }> }>(url, 'GET', '/functions/echo/logs');
  const billing = await api<Seen['billing']>(url, 'GET', '/billing?function=echo');
  return {
    requestIds: records.invocations.map((r) => r.requestId).sort(),
    logs: logs.lines.map((l) => l.line),
    billing: { invocations: billing.invocations, billedMs: billing.billedMs },
  };
}

function tablesIn(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'invoke_%'").all() as Array<{
        name: string;
      }>
    )
      .map((r) => r.name)
      .filter((name) => TABLES.includes(name))
      .sort();
  } finally {
    db.close();
  }
}

/**
 * Rewrites the (closed) data dir as an earlier version left it: the bookkeeping tables, with their rows,
 * in the engine's database. With `keepCopy`, invocations.db keeps its rows too, as after a crash between
 * the move's copy and its drop.
 */
function asEarlierVersion(dir: string, keepCopy: boolean): void {
  const engine = new Database(join(dir, 'lambdata.db'));
  try {
    migrateRecords(engine);
    migrateLogs(engine);
    migrateLedger(engine);
    engine.prepare('ATTACH DATABASE ? AS bk').run(join(dir, 'invocations.db'));
    engine.transaction(() => {
      for (const table of TABLES) {
        engine.exec(`DELETE FROM main.${table}`);
        engine.exec(`INSERT INTO main.${table} SELECT * FROM bk.${table}`);
      }
      // invoke_billing's trigger added the rows copied into it: the hours are copied as they were.
      engine.exec('DELETE FROM main.invoke_billing_hours');
      engine.exec('INSERT INTO main.invoke_billing_hours SELECT * FROM bk.invoke_billing_hours');
    })();
    engine.exec('DETACH DATABASE bk');
  } finally {
    engine.close();
  }
  if (!keepCopy)
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, `invocations.db${suffix}`), { force: true });
}

describe('the bookkeeping database', () => {
  it('shows what an invoke wrote as soon as it returns, from invocations.db, not the engine database', async () => {
    serve = await startServe('bookkeeping-fresh');
    const ids = await invokeEcho(serve.url, 3);
    // No wait: reading flushes the batch and waits for the writer thread's commit.
    const now = await seen(serve.url);
    expect(now.requestIds).toEqual([...ids].sort());
    for (const id of ids) expect(now.logs.some((line) => line.startsWith(`REPORT RequestId: ${id}`))).toBe(true);
    expect(now.billing.invocations).toBe(3);
    expect(tablesIn(join(serve.dir, 'invocations.db'))).toEqual([...TABLES].sort());
    expect(tablesIn(join(serve.dir, 'lambdata.db'))).toEqual([]);
  }, 60_000);

  for (const keepCopy of [false, true]) {
    it(`moves an earlier version's tables out of lambdata.db${keepCopy ? ' after a crash mid-move, counting nothing twice' : ''}`, async () => {
      serve = await startServe(`bookkeeping-upgrade-${keepCopy}`);
      const { dir } = serve;
      const ids = await invokeEcho(serve.url, 4);
      const before = await seen(serve.url);
      expect(before.billing.invocations).toBe(4);
      await serve.crash();
      serve = undefined;
      asEarlierVersion(dir, keepCopy);
      expect(tablesIn(join(dir, 'lambdata.db'))).toEqual([...TABLES].sort());
      expect(existsSync(join(dir, 'invocations.db'))).toBe(keepCopy);

      serve = await startServe('bookkeeping-upgraded', { dir });
      const after = await seen(serve.url);
      expect(after).toEqual(before);
      expect(tablesIn(join(dir, 'lambdata.db'))).toEqual([]);
      // And it goes on booking where the earlier version stopped.
      const more = await api<{ requestId: string }>(serve.url, 'POST', '/functions/echo/invoke', {});
      const next = await seen(serve.url);
      expect(next.requestIds).toEqual([...ids, more.requestId].sort());
      expect(next.billing.invocations).toBe(5);
    }, 90_000);
  }
});
