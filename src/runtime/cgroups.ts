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
 * at load 30), and the server, one entity among few, is still scheduled within milliseconds.
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
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';
const CONTROLLERS = ['memory', 'pids', 'cpu'] as const;
/** All environments together weigh two nice-0 threads per core. */
export const ENVIRONMENTS_CPU_SHARES = 2048 * Math.max(1, availableParallelism());
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
      const parent = join(ROOT, controller, own);
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
    const match = /^lambdata-(\d+)-[0-9a-f]+$/.exec(entry.name);
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

/** rmdir of a group; a group whose last process is still exiting stays until the next sweep. */
function removeGroup(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EBUSY') throw err;
  }
}
