import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { createLogger } from '../shared/log.js';

/** Options of `startWalCheckpointer`. */
export interface WalCheckpointerOptions {
  /** `synchronous` of the checkpointing connection (it does the checkpoint's fsyncs): match the writer's. */
  synchronous: 'NORMAL' | 'FULL';
  /** Pause between PASSIVE checkpoints while the WAL is idle (default 100 ms). */
  idleMs?: number;
  /** Pause between PASSIVE checkpoints while the WAL grows (default 10 ms). */
  busyMs?: number;
  /**
   * WAL frames (pages) past which the writer checkpoints inside its own commit again, as SQLite
   * does by default at 1000: the WAL stays bounded even if the worker falls behind or a writer
   * never pauses long enough for it. Default 16384 (64 MiB of 4 KiB pages).
   */
  maxFrames?: number;
  /**
   * Start the worker only once the WAL file has grown to this many bytes (default 0: at once).
   * Until then the writer checkpoints as SQLite does by default, so a database that is written
   * little never pays for a thread.
   */
  startAtWalBytes?: number;
}

/** A running background checkpointer. */
export interface WalCheckpointer {
  /** Stops the worker and waits (synchronously, up to 10 s) until it has closed its connection. */
  stop(): void;
}

/** Worker states, shared through one Int32 slot. */
const STATE = { starting: 0, running: 1, stopping: 2, done: 3 } as const;
const STOP_WAIT_MS = 10_000;
/** How often the WAL file's size is looked at while the worker waits to start. */
const WATCH_MS = 100;
/** Restored on the writer if the worker dies, so the WAL never grows unchecked. */
const DEFAULT_AUTOCHECKPOINT = 1000;
const log = createLogger('db');

// CommonJS run by the worker thread. It sleeps on the shared state slot (Atomics.wait), so `stop`
// wakes it at once and can wait for it without returning to the event loop.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { state, file, module: sqlite, synchronous, idleMs, busyMs } = workerData;
const slot = new Int32Array(state);
if (Atomics.compareExchange(slot, 0, ${STATE.starting}, ${STATE.running}) === ${STATE.starting}) {
  let db;
  try {
    const Database = require(sqlite);
    db = new Database(file);
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = ' + synchronous);
    let lastLog = 0;
    while (Atomics.load(slot, 0) === ${STATE.running}) {
      let moving = false;
      try {
        const [result] = db.pragma('wal_checkpoint(PASSIVE)');
        moving = result.log !== lastLog;
        lastLog = result.log;
      } catch (err) {
        // Another connection holding a lock only delays this round.
        if (err.code !== 'SQLITE_BUSY' && err.code !== 'SQLITE_LOCKED') throw err;
      }
      Atomics.wait(slot, 0, ${STATE.running}, moving ? busyMs : idleMs);
    }
  } finally {
    try {
      db?.close();
    } finally {
      Atomics.store(slot, 0, ${STATE.done});
      Atomics.notify(slot, 0);
    }
  }
}
`;

/**
 * Moves WAL checkpoints of `db` off the writer: a worker thread with its own connection runs PASSIVE
 * checkpoints beside the writer (copying the WAL into the database file and fsyncing it), and the
 * writer's automatic checkpoint moves from 1000 frames to `maxFrames`, a bound it only reaches when
 * the worker falls behind. If the worker dies, the default of 1000 comes back. Durability is
 * unchanged: commits still append to the WAL before they return.
 */
export function startWalCheckpointer(db: Database.Database, options: WalCheckpointerOptions): WalCheckpointer {
  const threshold = options.startAtWalBytes ?? 0;
  let worker: WalCheckpointer | undefined;
  if (threshold <= 0) return spawnCheckpointer(db, options);
  const wal = `${db.name}-wal`;
  const timer = setInterval(() => {
    try {
      if ((statSync(wal, { throwIfNoEntry: false })?.size ?? 0) < threshold) return;
      clearInterval(timer);
      if (db.open) worker = spawnCheckpointer(db, options);
    } catch (err) {
      clearInterval(timer);
      log.error('cannot watch the WAL; commits keep checkpointing', { err, wal });
    }
  }, WATCH_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      worker?.stop();
    },
  };
}

function spawnCheckpointer(db: Database.Database, options: WalCheckpointerOptions): WalCheckpointer {
  const state = new SharedArrayBuffer(4);
  const slot = new Int32Array(state);
  const maxFrames = options.maxFrames ?? 16_384;
  db.pragma(`wal_autocheckpoint = ${maxFrames}`);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      state,
      file: db.name,
      module: createRequire(import.meta.url).resolve('better-sqlite3'),
      synchronous: options.synchronous,
      idleMs: options.idleMs ?? 100,
      busyMs: options.busyMs ?? 10,
    },
  });
  worker.unref();
  worker.on('error', (err) => {
    log.error('WAL checkpointer failed; commits checkpoint again', { err });
    if (db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`);
  });
  return {
    stop() {
      // A worker that never got as far as opening its connection is told not to.
      if (Atomics.compareExchange(slot, 0, STATE.starting, STATE.stopping) === STATE.starting) return;
      if (Atomics.compareExchange(slot, 0, STATE.running, STATE.stopping) !== STATE.running) return;
      Atomics.notify(slot, 0);
      const deadline = Date.now() + STOP_WAIT_MS;
      while (Atomics.load(slot, 0) === STATE.stopping && Date.now() < deadline) {
        Atomics.wait(slot, 0, STATE.stopping, deadline - Date.now());
      }
      if (Atomics.load(slot, 0) !== STATE.done) log.warn('WAL checkpointer did not stop in time');
    },
  };
}
