// What the invoke layer's bookkeeping costs per invocation, through its real stores (dist/invoke):
// a no-op's START, END and REPORT lines, its record and its billing row, buffered and written by the
// shared write batch in transactions of BATCH invocations (at ~6,000 invocations/s the 50 ms batch
// holds ~300). The floor, in the same run and the same kind of database: one row per invocation
// holding its REPORT line in a table with no index, written in the same batches, many rows per
// INSERT — the least any store that keeps a durable line per invocation could do.
// Usage: npm run build && node bench/invoke/bookkeeping.js [--quick] [--batch N]
// Prints CPU µs per invocation (this process, all threads: the WAL checkpointer included) and the ratio.

import { Billing, LogStore } from '../../dist/invoke/index.js';
import { RecordStore } from '../../dist/invoke/records.js';
import { RowInserter } from '../../dist/invoke/statements.js';
import { writeBatchOf } from '../../dist/invoke/write-batch.js';
import { benchContext } from './stats.js';

const quick = process.argv.includes('--quick');
const batchAt = process.argv.indexOf('--batch');
const BATCH = batchAt > 0 ? Number(process.argv[batchAt + 1]) : 300;
const BATCHES = quick ? 20 : 100;
const ROUNDS = quick ? 1 : 4;

const ours = stores();
const floor = floorStore();
try {
  // Warm both (JIT, the first pages of each table), then alternate them round by round.
  measure(ours.invoke, ours.flush, BATCHES);
  measure(floor.invoke, floor.flush, BATCHES);
  const figures = { ours: [], floor: [] };
  for (let round = 0; round < ROUNDS; round++) {
    figures.ours.push(measure(ours.invoke, ours.flush, BATCHES));
    figures.floor.push(measure(floor.invoke, floor.flush, BATCHES));
  }
  const best = (list) => Math.min(...list);
  const [us, bare] = [best(figures.ours), best(figures.floor)];
  console.log(
    `invoke bookkeeping, ${BATCH} invocations per batch, best of ${ROUNDS}: ` +
      `${us.toFixed(2)} µs CPU per invocation (3 log lines, record, billing row)   ` +
      `floor ${bare.toFixed(2)} µs (one unindexed row per invocation)   ratio ${(us / bare).toFixed(2)}x`,
  );
} finally {
  ours.close();
  floor.close();
}

/** CPU µs per invocation of `batches` batches of BATCH invocations. */
function measure(invoke, flush, batches) {
  const before = process.cpuUsage();
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < BATCH; i++) invoke();
    flush();
  }
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / (batches * BATCH);
}

/** The invoke layer's stores, fed what execution.ts feeds them for a no-op. */
function stores() {
  const { context, close } = benchContext('lambdata-bench-book-');
  const logs = new LogStore(context);
  const records = new RecordStore(context);
  const billing = new Billing(context);
  const batch = writeBatchOf(context);
  let n = 0;
  return {
    invoke() {
      const record = noopRecord(n++);
      const id = record.requestId;
      logs.appendLine('noop', id, `START RequestId: ${id} Version: $LATEST`);
      logs.appendLine('noop', id, `END RequestId: ${id}`);
      logs.appendLine('noop', id, reportLine(record));
      records.add(record);
      billing.record(record);
    },
    flush: () => batch.flush(),
    close,
  };
}

/** One row per invocation, no index, batched as the stores are. */
function floorStore() {
  const { context, close } = benchContext('lambdata-bench-book-');
  const { db } = context;
  db.exec('CREATE TABLE floor_lines (id INTEGER PRIMARY KEY, request_id TEXT NOT NULL, line TEXT NOT NULL)');
  const insert = new RowInserter(db, 'INSERT INTO floor_lines (request_id, line)', 2);
  let pending = [];
  let n = 0;
  const write = db.transaction((values) => insert.insert(values));
  return {
    invoke() {
      const record = noopRecord(n++);
      pending.push(record.requestId, reportLine(record));
    },
    flush() {
      write(pending);
      pending = [];
    },
    close,
  };
}

function noopRecord(n) {
  return {
    requestId: `6f1c2b8e-4a7d-4e21-9b3a-${String(n).padStart(12, '0')}`,
    functionName: 'noop',
    version: '$LATEST',
    trigger: 'api',
    invocationType: 'RequestResponse',
    startedAt: Date.now(),
    durationMs: 0.1234567,
    billedDurationMs: 1,
    initDurationMs: null,
    memorySizeMb: 128,
    maxMemoryUsedMb: 61,
    outcome: 'success',
    gbSeconds: 0.000125,
    costUsd: 0.0000002020833375,
    attempt: 1,
  };
}

function reportLine(r) {
  return (
    `REPORT RequestId: ${r.requestId}\tDuration: ${r.durationMs.toFixed(2)} ms\tBilled Duration: ${r.billedDurationMs} ms` +
    `\tMemory Size: ${r.memorySizeMb} MB\tMax Memory Used: ${r.maxMemoryUsedMb} MB`
  );
}
