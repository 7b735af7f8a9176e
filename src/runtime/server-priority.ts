/**
 * The server's CPU priority above its execution environments. `lambdata serve` answers every HTTP
 * request, object read and timer on one event-loop thread; environments (nice 10, one cgroup `cpu`
 * group, see cgroups.ts) and whatever else shares the machine would otherwise take turns with it, and
 * under a burst of cold starts its answers waited for a CPU. Raising the loop thread's priority where
 * the process may (root, or CAP_SYS_NICE) keeps it scheduled first; processes the engine starts are
 * put back to the niceness it started with (the launcher does this for every environment).
 */
import { getPriority, setPriority } from 'node:os';

/** Niceness steps the server's event-loop thread is raised by (nice 0 → -5: ~3× a nice-0 thread's weight). */
export const SERVER_PRIORITY_BOOST = 5;

let startedAt: number | undefined;

/**
 * Raises the calling thread (the event loop) by SERVER_PRIORITY_BOOST niceness steps. Returns the
 * niceness before and after, or undefined when the process may not raise its priority (it keeps its
 * niceness: a documented fallback, not an error).
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
  return { from, to };
}

/** The niceness processes started by the engine return to; undefined when the server was never raised. */
export function childNiceness(): number | undefined {
  return startedAt;
}
