// CPU time of processes, threads and process trees, read from /proc (Linux; 0 where it is absent).
import { readdirSync, readFileSync } from 'node:fs';

const TICK_US = 10_000; // USER_HZ is 100 on Linux

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

/** The pids of the processes `pid` started that still run. */
export function childrenOf(pid) {
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
