/**
 * Memory and process-count limits and the CPU weight of execution environments through cgroup v1
 * controllers (the hierarchy these machines mount under /sys/fs/cgroup/<controller>). The engine
 * makes one group of its own, `lambdata-<pid>-<random>`, under the groups it already runs in, and
 * one child group per environment. Where the controllers are missing or not writable (cgroup v2
 * only, no root) the engine goes on without them: the RSS sampler still enforces memory sizes, and
 * `nice` alone keeps environments below the engine's priority.
 *
 * CPU: every environment runs inside the engine's `cpu` group, which the scheduler treats as one
 * entity beside the engine's own threads, weighing ENVIRONMENTS_CPU_SHARES (a nice-0 thread weighs
 * 1,024) however many environments run in it — niceness alone is per process, so 250 environments
 * at nice 10 outweighed the server 27 to 1 and it waited behind all of them. Inside the group
 * environments share alike (each its own child group of the default weight). The weight is two
 * nice-0 threads per core: on a machine shared with other work the environments keep a fair share
 * (measured: at one thread's weight, a burst of 16 starts ran past the 10 s init limit on a machine
 * at load 30).
 *
 * The server needs a `cpu` group of its own for that (joinServerGroup, done by `lambdata serve`): a
 * process in the root group is scheduled inside its session's autogroup (Linux's default for
 * terminal sessions), which weighs one nice-0 thread whatever the niceness of the threads inside,
 * so under a burst its event loop waited for a CPU 54–59% of the burst's wall time (schedstat). Its
 * group weighs SERVER_CPU_SHARES beside the environments' group, and the launcher, started from the
 * server after it moved, runs in it too (environments move to their own groups as they start).
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';

const ROOT = '/sys/fs/cgroup';
const CONTROLLERS = ['memory', 'pids', 'cpu'] as const;
/** All environments together weigh two nice-0 threads per core. */
export const ENVIRONMENTS_CPU_SHARES = 2048 * Math.max(1, availableParallelism());
/**
 * The server's own group weighs 8× all environments together (see joinServerGroup), within the
 * kernel's largest cpu.shares. One event-loop thread uses one CPU at most, so the weight decides how
 * soon it gets that CPU back, not how much of the machine it takes: under a burst of 250 cold starts,
 * at 2× the loop still waited for a CPU 19–27% of the time and health answered at p99 79–120 ms; at
 * 8×, 11–14% and 35–52 ms (alternated in one session, 2 cores).
 */
export const SERVER_CPU_SHARES = Math.min(8 * ENVIRONMENTS_CPU_SHARES, 262_144);
/** The server's group, beside the engine's: named for the PID, so a later engine sweeps it once the server died. */
const SERVER_GROUP = `lambdata-${process.pid}-server`;
/** AWS allows a function 1,024 processes and threads. */
const MAX_TASKS = 1024;

type Controller = (typeof CONTROLLERS)[number];

/** The engine's own groups, one per controller it could use. */
export class EnvironmentGroups {
  readonly #bases: Partial<Record<Controller, string>>;
  /** Descriptors kept open on environments' memory.oom_control: a pread costs µs, an open of a cgroup file ~100 µs. */
  readonly #oomControls = new Map<string, number>();
  readonly #oomBuffer = Buffer.alloc(256);

  private constructor(bases: Partial<Record<Controller, string>>) {
    this.#bases = bases;
  }

  /** The controllers this engine can use; none when the machine has no writable cgroup v1 hierarchy. */
  static open(): EnvironmentGroups {
    const bases: Partial<Record<Controller, string>> = {};
    const suffix = randomBytes(4).toString('hex'); // several engines may share a process (tests)
    for (const controller of CONTROLLERS) {
      const own = ownPath(controller);
      if (own === undefined) continue;
      // A server in its own group keeps its environments beside it, not below it.
      const parent = join(ROOT, controller, basename(own) === SERVER_GROUP ? dirname(own) : own);
      try {
        sweepStale(parent);
        const base = join(parent, `lambdata-${process.pid}-${suffix}`);
        mkdirSync(base, { recursive: true });
        if (controller === 'cpu') writeFileSync(join(base, 'cpu.shares'), String(ENVIRONMENTS_CPU_SHARES));
        bases[controller] = base;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS' && code !== 'ENOENT') throw err;
      }
    }
    return new EnvironmentGroups(bases);
  }

  /** Controllers in use, e.g. ['memory', 'pids', 'cpu']. */
  get controllers(): string[] {
    return Object.keys(this.#bases);
  }

  /** Makes an environment's groups; returns the `cgroup.procs` files its first process writes itself into. */
  create(envId: string): string[] {
    const procs: string[] = [];
    for (const [controller, base] of this.#entries()) {
      const dir = join(base, envId);
      mkdirSync(dir);
      if (controller === 'pids') writeFileSync(join(dir, 'pids.max'), String(MAX_TASKS));
      procs.push(join(dir, 'cgroup.procs'));
    }
    return procs;
  }

  /**
   * Caps an environment's memory. Pages of its /tmp (a tmpfs) are charged to it too, so the cap is
   * the function's memory plus its ephemeral storage; the sampler judges the memory size itself.
   */
  limitMemory(envId: string, bytes: number): void {
    const base = this.#bases.memory;
    if (!base) return;
    const dir = join(base, envId);
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(bytes));
    // With swap accounting, swap may not lift the cap.
    if (existsSync(join(dir, 'memory.memsw.limit_in_bytes')))
      writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(bytes));
  }

  /** True when the kernel's OOM killer killed a process of the environment. */
  oomKilled(envId: string): boolean {
    const base = this.#bases.memory;
    if (!base) return false;
    try {
      let fd = this.#oomControls.get(envId);
      if (fd === undefined) {
        fd = openSync(join(base, envId, 'memory.oom_control'), 'r');
        this.#oomControls.set(envId, fd);
      }
      const length = readSync(fd, this.#oomBuffer, 0, this.#oomBuffer.length, 0);
      const match = /^oom_kill (\d+)$/m.exec(this.#oomBuffer.toString('latin1', 0, length));
      return match !== null && Number(match[1]) > 0;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** Removes an environment's groups once its processes are gone. */
  remove(envId: string): void {
    const fd = this.#oomControls.get(envId);
    if (fd !== undefined) closeSync(fd);
    this.#oomControls.delete(envId);
    for (const [, base] of this.#entries()) removeGroup(join(base, envId));
  }

  /** Removes the engine's groups (environments must be gone). */
  close(): void {
    for (const fd of this.#oomControls.values()) closeSync(fd);
    this.#oomControls.clear();
    for (const [, base] of this.#entries()) {
      for (const entry of readdirSync(base, { withFileTypes: true }))
        if (entry.isDirectory()) removeGroup(join(base, entry.name));
      removeGroup(base);
    }
  }

  #entries(): [Controller, string][] {
    return Object.entries(this.#bases) as [Controller, string][];
  }
}

/** Where the server's own `cpu` group is and how to leave it. */
export interface ServerGroup {
  /** The group's directory. */
  path: string;
  /** Its cpu.shares. */
  shares: number;
  /** The cpu.shares of the environments' group beside it. */
  environmentShares: number;
  /**
   * Moves this process, and what it started that is still in the group, back to the group it came
   * from and removes its own. False when a process still exiting kept the group (try again, or the
   * next engine sweeps it).
   */
  leave(): boolean;
}

/**
 * Moves this process (every thread; threads and processes it starts later follow) into a `cpu`
 * group of its own weighing SERVER_CPU_SHARES, beside the groups its engine makes for environments.
 * Before or after the engine starts: its environments' groups go beside this one either way (the
 * launcher, though, joins only if started after). Returns undefined where there is no writable cgroup v1 `cpu`
 * controller (cgroup v2 only, no root): the server then has only its niceness, a documented fallback.
 */
export function joinServerGroup(): ServerGroup | undefined {
  const own = ownPath('cpu');
  if (own === undefined) return undefined;
  const parent = join(ROOT, 'cpu', own);
  const path = join(parent, SERVER_GROUP);
  try {
    sweepStale(parent);
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'cpu.shares'), String(SERVER_CPU_SHARES));
    writeFileSync(join(path, 'cgroup.procs'), String(process.pid));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS' && code !== 'ENOENT') throw err;
    removeGroup(path);
    return undefined;
  }
  return {
    path,
    shares: SERVER_CPU_SHARES,
    environmentShares: ENVIRONMENTS_CPU_SHARES,
    leave() {
      if (!existsSync(path)) return true;
      // This process, and what it started that is still here: the launcher, and environments' outer
      // processes (an environment's own process moves to its group as it starts).
      const procs = readFileSync(join(path, 'cgroup.procs'), 'latin1').split('\n').filter(Boolean);
      for (const pid of procs) moveProcess(pid, join(parent, 'cgroup.procs'));
      return removeGroup(path);
    },
  };
}

function moveProcess(pid: string, procs: string): void {
  try {
    writeFileSync(procs, pid);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // it exited meanwhile
  }
}

/** This process's group in a v1 controller's hierarchy, from /proc/self/cgroup. */
function ownPath(controller: Controller): string | undefined {
  if (!existsSync(join(ROOT, controller, 'cgroup.procs'))) return undefined;
  let text: string;
  try {
    text = readFileSync('/proc/self/cgroup', 'latin1');
  } catch {
    return undefined; // not Linux
  }
  for (const line of text.split('\n')) {
    const [, names, path] = line.split(':');
    if (names?.split(',').includes(controller) && path !== undefined) return path;
  }
  return undefined;
}

/** Groups of engines that died without cleaning up (kill -9): their processes died with them. */
function sweepStale(parent: string): void {
  for (const entry of readdirSync(parent, { withFileTypes: true })) {
    const match = /^lambdata-(\d+)-(?:[0-9a-f]+|server)$/.exec(entry.name);
    if (!match || !entry.isDirectory() || isAlive(Number(match[1]))) continue;
    const dir = join(parent, entry.name);
    for (const child of readdirSync(dir, { withFileTypes: true }))
      if (child.isDirectory()) removeGroup(join(dir, child.name));
    removeGroup(dir);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** rmdir of a group, true once it is gone; a group whose last process is still exiting stays until the next sweep. */
function removeGroup(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EBUSY') throw err;
    return code === 'ENOENT';
  }
}
