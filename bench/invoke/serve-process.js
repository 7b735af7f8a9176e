// Starts `lambdata serve` (or any server script) as a separate process for the benchmarks, and reads
// the CPU time of a process tree from /proc.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { here } from './stats.js';

const BIN = join(here, '../../bin/lambdata.js');
const TICK_US = 10_000; // USER_HZ is 100 on Linux
/** Servers started here, stopped if the benchmark itself is interrupted (Ctrl-C, kill). */
const started = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await Promise.allSettled([...started].map((server) => server.stop()));
    process.exit(130);
  });
}

/**
 * `lambdata serve --port 0` on a fresh temp data dir; `nodeArgs` go to node (e.g. `--cpu-prof`),
 * `args` to serve (e.g. `--access-key`). Returns its url, pid and a `stop()` that ends it (SIGTERM,
 * so a CPU profile is written) and removes the dir.
 */
export async function startServe({ nodeArgs = [], args = [], env = {} } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-bench-serve-'));
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--port', '0', '--data-dir', dataDir, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: dataDir, LAMBDATA_LOG: 'error', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await listeningUrl(child);
  const server = {
    url,
    pid: child.pid,
    dataDir,
    async stop() {
      started.delete(server);
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  started.add(server);
  return server;
}

/** A bare node:http server (bare-server.mjs, or `script`) in its own process: the floor. */
export async function startBareServer(script = join(here, 'bare-server.mjs')) {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await listeningUrl(child);
  const server = {
    url,
    pid: child.pid,
    async stop() {
      started.delete(server);
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
    },
  };
  started.add(server);
  return server;
}

/**
 * CPU time (µs) used so far by `pid` and every process below it that still runs; with `reaped`, also
 * by the processes below it that ended and were waited for (their time moves into their parent's).
 */
export function treeCpuMicros(pid, { reaped = false } = {}) {
  let total = procCpuTicks(pid, reaped) * TICK_US;
  for (const child of childrenOf(pid)) total += treeCpuMicros(child, { reaped });
  return total;
}

/** CPU time (µs) used by the children of `pid` that ended and were waited for. */
export function reapedCpuMicros(pid) {
  return (procCpuTicks(pid, true) - procCpuTicks(pid)) * TICK_US;
}

/** CPU time (µs) used so far by `pid` alone (all its threads). */
export function processCpuMicros(pid) {
  return procCpuTicks(pid) * TICK_US;
}

/**
 * CPU time (µs) used so far by the main thread of `pid` alone: for a Node process, its event loop
 * (worker threads, the libuv pool and V8's helper threads excluded).
 */
export function mainThreadCpuMicros(pid) {
  return procCpuTicks(`${pid}/task/${pid}`) * TICK_US;
}

/**
 * Times the main thread of `pid` was switched out while it could still run (preempted: another task
 * took its CPU), from /proc/<pid>/task/<pid>/status; 0 where /proc is not there.
 */
export function mainThreadPreemptions(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'latin1');
    return Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function listeningUrl(child) {
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /listening on (\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
  });
}

function childrenOf(pid) {
  const pids = [];
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return pids; // ended, or no /proc
  }
  for (const tid of tasks) {
    try {
      const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').trim();
      if (list) pids.push(...list.split(' ').map(Number));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return pids;
}

/** `pid` may also name a thread as `pid/task/tid`. */
function procCpuTicks(pid, reaped = false) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]); // utime, stime
    return reaped ? own + Number(fields[13]) + Number(fields[14]) : own; // + cutime, cstime
  } catch {
    return 0;
  }
}
