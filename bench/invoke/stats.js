// Small helpers shared by the invoke benchmarks.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFrame, FrameReader } from '../../dist/runtime/frames.js';
import { createLogger } from '../../dist/shared/log.js';
import { openDb } from '../../dist/state/db.js';
import { childrenOf, treeCpuMicros } from './proc-cpu.js';

export const here = fileURLToPath(new URL('.', import.meta.url));

/** p50, p99 and max of a list of milliseconds. */
export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}

/** Times `runs` sequential awaits of `once` after a tenth as many warm-up calls. */
export async function timeSequential(once, runs) {
  for (let i = 0; i < Math.max(10, runs / 10); i++) await once(i);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await once(i);
    times.push(performance.now() - started);
  }
  return percentiles(times);
}

/** Calls per second with `concurrency` loops calling `once` for `ms`. */
export async function rate(once, concurrency, ms) {
  let done = 0;
  const deadline = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < deadline) {
      await once(done);
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - started) / 1000);
}

/**
 * The floor: round trips to a child process that answers each message at once, over the same
 * socket (fd 3) and framing as the environments, so the ratio is the runtime's own overhead.
 */
export async function ipcFloor(runs) {
  const child = spawn(process.execPath, [join(here, 'echo-child.mjs')], {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
  });
  const channel = child.stdio[3];
  let answer;
  const reader = new FrameReader(() => answer());
  channel.on('data', (chunk) => reader.push(chunk));
  const payload = Buffer.from('{}');
  const once = () =>
    new Promise((resolve) => {
      answer = resolve;
      channel.write(encodeFrame({ t: 'invoke', id: 'req', arn: 'arn', ms: 3000 }, payload));
    });
  try {
    return await timeSequential(once, runs);
  } finally {
    child.kill();
  }
}

/** Median wall time of `node -e 0`. */
export function nodeStartMs() {
  const times = [];
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    times.push(performance.now() - started);
  }
  return percentiles(times).p50;
}

/** Prints `label value vs floor ratio`. */
export function compare(label, value, floor, floorLabel) {
  const ratio = (value / floor).toFixed(2);
  console.log(
    `${label.padEnd(26)} ${value.toFixed(3).padStart(8)}   vs ${floorLabel} ${floor.toFixed(3)}   ratio ${ratio}x`,
  );
}

/** CPU time (µs) used so far by this process and by every child process it started that still runs. */
export function cpuMicros() {
  const own = process.cpuUsage();
  let children = 0;
  // The launcher's tree: environments start below it, not below this process.
  for (const pid of childrenOf(process.pid)) children += treeCpuMicros(pid);
  return { engine: own.user + own.system, children };
}

/**
 * Same as `rate`, and also the CPU each call cost, split into this process and its children (the
 * environments), in µs per call: a figure that holds on a machine others are loading too.
 */
export async function rateWithCpu(once, concurrency, ms) {
  const before = cpuMicros();
  const started = performance.now();
  const perSecond = await rate(once, concurrency, ms);
  const done = (perSecond * (performance.now() - started)) / 1000;
  const after = cpuMicros();
  return {
    perSecond,
    engineUs: (after.engine - before.engine) / done,
    childUs: (after.children - before.children) / done,
  };
}

/** Prints one throughput row with its CPU split. */
export function printRate(concurrency, { perSecond, engineUs, childUs }) {
  const total = engineUs + childUs;
  console.log(
    `  concurrency ${String(concurrency).padStart(2)}: ${Math.round(perSecond).toLocaleString('en-US').padStart(7)}/s` +
      `   CPU/call ${total.toFixed(0).padStart(4)} µs (engine ${engineUs.toFixed(0)}, environments ${childUs.toFixed(0)})` +
      `   → ${Math.round(2e6 / total).toLocaleString('en-US')}/s on 2 idle cores`,
  );
}

/**
 * An engine context over a fresh database in a temp dir (what the engine hands its services), for
 * benchmarks that drive one layer directly; `close()` closes the database and removes the dir.
 */
export function benchContext(prefix = 'lambdata-bench-', endpoint = '') {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const db = openDb(dataDir);
  const context = {
    db,
    dataDir,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    endpoint: () => endpoint,
    log: createLogger('bench'),
  };
  return {
    context,
    close() {
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
