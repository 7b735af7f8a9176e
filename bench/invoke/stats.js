// Small helpers shared by the invoke benchmarks.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** The floor: round trips to a child process that answers each IPC message at once. */
export async function ipcFloor(runs) {
  const child = spawn(process.execPath, [join(here, 'echo-child.mjs')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  let answer;
  child.on('message', () => answer());
  const once = () =>
    new Promise((resolve) => {
      answer = resolve;
      child.send({ t: 'invoke', id: 'req', p: '{}', arn: 'arn', ms: 3000 });
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
  console.log(`${label.padEnd(26)} ${value.toFixed(3).padStart(8)}   vs ${floorLabel} ${floor.toFixed(3)}   ratio ${ratio}x`);
}
