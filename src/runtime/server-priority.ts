/**
 * The server's CPU priority above its execution environments. `lambdata serve` answers every HTTP
 * request, object read and timer on one event-loop thread; environments (nice 10, one cgroup `cpu`
 * group, see cgroups.ts) and whatever else shares the machine would otherwise take turns with it, and
 * under a burst of cold starts its answers waited for a CPU. Raising the loop thread's priority where
 * the process may (root, or CAP_SYS_NICE) keeps it scheduled first; processes the engine starts are
 * put back to the niceness it started with (the launcher does this for every environment).
 *
 * Niceness weighs a thread only against the threads of its autogroup (its session, where the kernel
 * has autogroups on), so where cgroup v1's cpu controller is writable the loop thread also gets a cpu
 * group of its own that outweighs the environments' (cgroups.ts, SERVER_CPU_SHARES), and processes
 * the engine starts go back to the group the server came from (the launcher moves itself there).
 */
import { getPriority, setPriority } from 'node:os';
import { joinServerCpuGroup, leaveServerCpuGroup, SERVER_CPU_SHARES } from './cgroups.js';

/** Niceness steps the server's event-loop thread is raised by (nice 0 → -5: ~3× a nice-0 thread's weight). */
export const SERVER_PRIORITY_BOOST = 5;

/** How the server was raised: niceness before and after, and the cpu group's weight when it got one. */
export interface ServerPriority {
  from: number;
  to: number;
  cpuShares?: number;
}

let startedAt: number | undefined;
/** The `cgroup.procs` file of the group the server came from, while it is in a group of its own. */
let startedIn: string | undefined;

/**
 * Raises the calling thread (the event loop) by SERVER_PRIORITY_BOOST niceness steps, and into a cpu
 * group of its own where it can (unless `cpuGroup` is false). Returns how, or undefined when the
 * process may not raise its priority (it keeps its niceness: a documented fallback, not an error).
 */
export function raiseServerPriority({ cpuGroup = true }: { cpuGroup?: boolean } = {}): ServerPriority | undefined {
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
  startedIn = cpuGroup ? joinServerCpuGroup() : undefined;
  return { from, to, ...(startedIn ? { cpuShares: SERVER_CPU_SHARES } : {}) };
}

/** Puts the event loop back in the cpu group it came from, removing its own (at shutdown; idempotent). */
export function leaveServerGroup(): void {
  leaveServerCpuGroup();
  startedIn = undefined;
}

/** The niceness processes started by the engine return to; undefined when the server was never raised. */
export function childNiceness(): number | undefined {
  return startedAt;
}

/** The `cgroup.procs` file processes started by the engine move to; undefined when the server has no group. */
export function childCpuGroup(): string | undefined {
  return startedIn;
}
