/**
 * The server's CPU priority above its execution environments. `lambdata serve` answers every HTTP
 * request, object read and timer on one event-loop thread; environments (nice 10, one cgroup `cpu`
 * group, see cgroups.ts) and whatever else shares the machine would otherwise take turns with it, and
 * under a burst of cold starts its answers waited for a CPU. Raising the loop thread's priority where
 * the process may (root, or CAP_SYS_NICE) keeps it scheduled first; processes the engine starts are
 * put back to the niceness it started with (the launcher does this for every environment).
 */
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Niceness steps the server's event-loop thread is raised by (nice 0 → -5: ~3× a nice-0 thread's weight). */
export const SERVER_PRIORITY_BOOST = 5;

let startedAt: number | undefined;

/**
 * Raises the calling thread (the event loop) by SERVER_PRIORITY_BOOST niceness steps, and every other
 * thread the process already runs. Returns the niceness before and after, or undefined when the
 * process may not raise its priority (it keeps its niceness: a documented fallback, not an error).
 */
export function raiseServerPriority(): { from: number; to: number } | undefined {
  const from = startedAt ?? getPriority();
  const to = Math.max(-20, from - SERVER_PRIORITY_BOOST);
  try {
    setPriority(to);
  } catch (err) {
    // os.setPriority throws a SystemError (code ERR_SYSTEM_ERROR) whose errno name is in `info.code`.
    const failure = err as NodeJS.ErrnoException & { info?: { code?: string } };
    const code = failure.info?.code ?? failure.code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOSYS') return undefined;
    throw err;
  }
  startedAt = from;
  // Linux niceness is per thread, and threads inherit it only when they start: libuv's pool (object
  // reads and writes, fs.promises) and V8's helpers (the garbage collector's parallel phases, which
  // the event loop waits for) started before this call and stayed at `from`. Left there, the loop
  // waited for them behind the environments under a burst (a GET's fs.read, a scavenge).
  for (const thread of otherThreads()) raiseThread(thread, to);
  return { from, to };
}

/** The niceness processes started by the engine return to; undefined when the server was never raised. */
export function childNiceness(): number | undefined {
  return startedAt;
}

/** The process's threads other than the calling one (Linux: /proc/self/task); none where there is no /proc. */
function otherThreads(): number[] {
  try {
    return readdirSync('/proc/self/task')
      .map(Number)
      .filter((tid) => tid !== process.pid);
  } catch {
    return []; // not Linux: niceness there is per process, and setPriority(to) set it already
  }
}

function raiseThread(tid: number, to: number): void {
  try {
    setPriority(tid, to);
  } catch (err) {
    const failure = err as NodeJS.ErrnoException & { info?: { code?: string } };
    if ((failure.info?.code ?? failure.code) !== 'ESRCH') throw err; // ended meanwhile
  }
}
