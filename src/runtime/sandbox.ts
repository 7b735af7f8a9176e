/**
 * How execution environments are walled off, at the strongest level the machine allows:
 *
 * - `namespaces` (Linux, root, util-linux's unshare/setpriv/pivot_root): each environment gets its
 *   own mount, PID and IPC namespaces (see sandbox-script.ts: its own root with a tmpfs /tmp sized to
 *   its ephemeral storage, code read-only, no data dir, no host /proc), runs as an unprivileged user
 *   of its function, with memory and process-count cgroups where cgroup v1 is writable, and dies
 *   with the engine (PID 1 of its namespace carries a parent-death signal).
 * - `process`: a plain child process with an explicit environment and a private /tmp directory
 *   enforced through Node's `fs` (bootstrap-tmp.ts); it dies with the engine where `setpriv` can
 *   give it a parent-death signal. Functions can see each other and the data dir at this level.
 *
 * `LAMBDATA_SANDBOX=process|namespaces` (or the pool option) asks for a level; asking for one the
 * machine cannot give is an error, so a weaker level is never taken silently.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join, relative, sep } from 'node:path';
import type { FunctionVersion } from '../invoke/types.js';
import { InvalidParameterValue } from '../shared/errors.js';
import { distPath, packagePath } from '../shared/paths.js';
import { EnvironmentGroups } from './cgroups.js';
import { SandboxFailed } from './run-errors.js';
import { ENVIRONMENT_SCRIPT, TEMPLATE_SCRIPT } from './sandbox-script.js';

/** The isolation levels, strongest first. */
export const SANDBOX_LEVELS = ['namespaces', 'process'] as const;
export type SandboxLevel = (typeof SANDBOX_LEVELS)[number];

/** What the engine reports about isolation (serve banner, /_lambdata/health). */
export interface SandboxInfo {
  level: SandboxLevel;
  /** What is in force, e.g. ['mount-ns', 'pid-ns', 'ipc-ns', 'uid', 'tmpfs-tmp', 'memory-cgroup', 'pids-cgroup']. */
  features: string[];
  /** Why a stronger level was not available, when it was not. */
  reason?: string;
}

/** How to start one environment's process, as the host sees it. */
export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** What a blank runtime needs at init to become a function's environment inside its sandbox. */
export interface HandOff {
  uid: number;
  gid: number;
  /** The code dir as the environment sees it, linked at /var/task. */
  taskTarget: string;
}

/** Paths inside a `namespaces` sandbox. */
export const INSIDE = {
  node: '/opt/lambdata/bin/node',
  dist: '/opt/lambdata/dist',
  nodeModules: '/opt/lambdata/node_modules',
  task: '/var/task',
  tmp: '/tmp',
  functions: '/.stage/functions',
} as const;

const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const UTILITIES = ['unshare', 'nsenter', 'setpriv', 'pivot_root', 'mount', 'umount', 'nice', 'sleep'];
const FIRST_UID = 900_000;
/** A blank runtime is pre-started with AWS's default ephemeral storage. */
const DEFAULT_TMP_MB = 512;
/** CPU priority of environments: below the engine's, so a busy function cannot starve the server. */
export const ENVIRONMENT_NICENESS = 10;

let probed: { ok: true } | { ok: false; reason: string } | undefined;

/** The sandbox of one engine; see the module comment. */
export class Sandbox {
  readonly info: SandboxInfo;
  readonly #functionsRoot: string;
  readonly #sandboxRoot: string;
  readonly #groups: EnvironmentGroups | undefined;
  readonly #ids = new Map<string, number>();
  readonly #setpriv: string | undefined;
  /** The process holding the template's mount namespace open (namespaces level). */
  #template: ChildProcess | undefined;
  /** Resolves once environments can be launched (the template root is built); rejects when it cannot be. */
  readonly ready: Promise<void>;

  /** Throws InvalidParameterValue when `requested` names an unknown level or one the machine lacks. */
  constructor(dataDir: string, requested: string | undefined = process.env.LAMBDATA_SANDBOX) {
    this.#functionsRoot = join(dataDir, 'functions');
    this.#sandboxRoot = join(dataDir, 'tmp', '.sandbox-root');
    this.#setpriv = findExecutable('setpriv');
    const wanted = requested === undefined || requested === '' || requested === 'auto' ? undefined : requested;
    if (wanted !== undefined && !(SANDBOX_LEVELS as readonly string[]).includes(wanted)) {
      throw new InvalidParameterValue(`sandbox level must be one of ${SANDBOX_LEVELS.join(', ')}, got '${wanted}'`);
    }
    const namespaces = wanted === 'process' ? { ok: false as const, reason: 'process level asked for' } : probe();
    if (wanted === 'namespaces' && !namespaces.ok) {
      throw new InvalidParameterValue(`sandbox level 'namespaces' is not available here: ${namespaces.reason}`);
    }
    if (namespaces.ok) {
      mkdirSync(this.#functionsRoot, { recursive: true, mode: 0o711 });
      chmodSync(this.#functionsRoot, 0o711); // other functions' names stay unlisted
      mkdirSync(this.#sandboxRoot, { recursive: true });
      this.#groups = EnvironmentGroups.open();
      const cgroups = this.#groups.controllers.map((name) => `${name}-cgroup`);
      this.info = { level: 'namespaces', features: ['mount-ns', 'pid-ns', 'ipc-ns', 'uid', 'tmpfs-tmp', ...cgroups] };
      this.ready = this.#holdTemplate();
    } else {
      this.info = {
        level: 'process',
        features: this.#setpriv ? ['die-with-engine'] : [],
        reason: namespaces.reason,
      };
      this.ready = Promise.resolve();
    }
  }

  get isolated(): boolean {
    return this.info.level === 'namespaces';
  }

  /**
   * True when a blank pre-started runtime can become `fn`'s environment: always at the process
   * level; in a namespace sandbox only for packages under the data dir (visible through the stage)
   * with the default ephemeral storage (the size of the blank's /tmp).
   */
  canHandOff(fn: FunctionVersion): boolean {
    if (!this.isolated) return true;
    return fn.ephemeralStorageMb === DEFAULT_TMP_MB && this.#stagedPath(fn.codeDir) !== undefined;
  }

  /**
   * The command that starts an environment. `command` and `args` are paths as the environment sees
   * them (INSIDE.node … in a sandbox). A blank runtime (no `fn`) starts as root inside its sandbox and
   * drops to its function's user at init; a process started for one function starts as that user.
   * In a sandbox the launcher gets a clean environment: `env` reaches the process at exec only when
   * `envAtExec` (custom runtimes; Node environments get theirs in the init message, but NODE_OPTIONS).
   */
  launch(
    envId: string,
    command: string,
    args: string[],
    env: Record<string, string>,
    fn?: FunctionVersion,
    envAtExec = false,
  ): Launch {
    if (!this.isolated) {
      return this.#setpriv
        ? { command: this.#setpriv, args: ['--pdeathsig', 'KILL', '--', command, ...args], env }
        : { command, args, env };
    }
    const procs = this.#groups?.create(envId) ?? [];
    const tmpBytes = (fn?.ephemeralStorageMb ?? DEFAULT_TMP_MB) * 1024 * 1024;
    const id = fn ? this.#idOf(fn.name) : 0;
    const clean: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
    if (!envAtExec && env.NODE_OPTIONS) clean.NODE_OPTIONS = env.NODE_OPTIONS;
    const envFile = envAtExec ? this.#writeEnvFile(envId, env) : '';
    return {
      command: this.#setpriv as string,
      args: [
        '--pdeathsig',
        'KILL',
        '--',
        'nsenter',
        `--mount=/proc/${this.#template?.pid}/ns/mnt`,
        '--',
        'unshare',
        '--mount',
        '--pid',
        '--ipc',
        '--fork',
        '--kill-child=SIGKILL',
        '--propagation',
        'private',
        '--',
        'nice',
        '-n',
        String(ENVIRONMENT_NICENESS),
        '/bin/sh',
        '-c',
        ENVIRONMENT_SCRIPT,
        'lambdata-sandbox',
        this.#sandboxRoot,
        procs.join(' '),
        String(tmpBytes),
        fn ? fn.codeDir : '',
        String(id),
        String(id),
        envFile,
        command,
        ...args,
      ],
      env: clean,
    };
  }

  /**
   * Readies the sandbox of `envId` for `fn` (memory cap; the function's code dir readable by its
   * own group only) and returns what the blank runtime needs at init; undefined at the process level.
   */
  handOff(envId: string, fn: FunctionVersion): HandOff | undefined {
    if (!this.isolated) return undefined;
    this.limit(envId, fn);
    const staged = this.#stagedPath(fn.codeDir) as string;
    const id = this.#idOf(fn.name);
    return { uid: id, gid: id, taskTarget: `${INSIDE.functions}/${staged}` };
  }

  /** Applies `fn`'s memory cap to an environment started for it. */
  limit(envId: string, fn: FunctionVersion): void {
    this.#groups?.limitMemory(envId, (fn.memoryMb + fn.ephemeralStorageMb) * 1024 * 1024);
  }

  /** The host PID of the environment's runtime process (the bootstrap), given the spawned one. */
  runtimePid(spawnedPid: number | undefined): number | undefined {
    if (!this.isolated || spawnedPid === undefined) return spawnedPid;
    const init = firstChild(spawnedPid); // PID 1 of the namespace: the sandbox script
    return init === undefined ? undefined : firstChild(init);
  }

  /** True when the kernel killed the environment for its memory cgroup. */
  oomKilled(envId: string): boolean {
    return this.#groups?.oomKilled(envId) ?? false;
  }

  /** Forgets an environment whose processes are gone. */
  release(envId: string): void {
    this.#groups?.remove(envId);
  }

  close(): void {
    this.#template?.kill('SIGKILL');
    this.#groups?.close();
  }

  /**
   * Starts the process whose mount namespace holds the template root (TEMPLATE_SCRIPT); it dies
   * with the engine. Environments' namespaces are copies of its namespace.
   */
  #holdTemplate(): Promise<void> {
    const template = spawn(
      this.#setpriv as string,
      [
        '--pdeathsig',
        'KILL',
        '--',
        'unshare',
        '--mount',
        '--propagation',
        'private',
        '--',
        '/bin/sh',
        '-c',
        TEMPLATE_SCRIPT,
        'lambdata-template',
        this.#sandboxRoot,
        distPath(''),
        packagePath('node_modules'),
        process.execPath,
        this.#functionsRoot,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } },
    );
    this.#template = template;
    template.unref();
    return new Promise((resolve, reject) => {
      let stderr = '';
      template.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-2000);
      });
      template.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        if (!chunk.includes('ready')) return;
        template.stdout.destroy();
        template.stderr.destroy();
        resolve();
      });
      template.on('exit', (code, signal) =>
        reject(
          new SandboxFailed(
            `the environment sandbox could not be built (${signal ?? `exit ${code}`}): ${stderr.trim()}`,
          ),
        ),
      );
    });
  }

  /** Writes `env` as shell assignments for the sandbox script to hand to the process (root-only, removed at start). */
  #writeEnvFile(envId: string, env: Record<string, string>): string {
    const path = join(this.#sandboxRoot, '..', `${envId}.env`);
    const lines = Object.entries(env)
      .filter(([name]) => SHELL_NAME.test(name))
      .map(([name, value]) => `export ${name}='${value.replaceAll("'", "'\\''")}'\n`);
    writeFileSync(path, lines.join(''), { mode: 0o600 });
    return path;
  }

  /** A function's user and group id: one per function in this engine's lifetime, and its code dir made its own. */
  #idOf(name: string): number {
    let id = this.#ids.get(name);
    if (id !== undefined) return id;
    id = FIRST_UID + this.#ids.size;
    this.#ids.set(name, id);
    const dir = join(this.#functionsRoot, name);
    try {
      chownSync(dir, 0, id);
      chmodSync(dir, 0o750);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // code outside the data dir
    }
    return id;
  }

  /** `<name>/<key>` of a code dir under the data dir's functions root, or undefined. */
  #stagedPath(codeDir: string): string | undefined {
    const rel = relative(this.#functionsRoot, codeDir);
    if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) return undefined;
    return rel.split(sep).join('/');
  }
}

/** Whether this machine lets the engine build namespace sandboxes (checked once per process). */
function probe(): { ok: true } | { ok: false; reason: string } {
  if (probed) return probed;
  if (process.platform !== 'linux')
    probed = { ok: false, reason: `namespaces need Linux (this is ${process.platform})` };
  else if (process.getuid?.() !== 0) probed = { ok: false, reason: 'namespaces need the engine to run as root' };
  else {
    const missing = UTILITIES.filter((name) => findExecutable(name) === undefined);
    if (missing.length > 0) probed = { ok: false, reason: `missing ${missing.join(', ')} (util-linux)` };
    else {
      const trial = spawnSync('unshare', ['--mount', '--pid', '--ipc', '--fork', '--propagation', 'private', 'true'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 10_000,
      });
      probed =
        trial.status === 0
          ? { ok: true }
          : { ok: false, reason: `unshare failed: ${trial.stderr?.toString().trim() || trial.error?.message}` };
    }
  }
  return probed;
}

function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this PATH entry
    }
  }
  return undefined;
}

/** A process's first child, from /proc/<pid>/task/<pid>/children. */
function firstChild(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(' ')[0];
    return first ? Number(first) : undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw err;
  }
}
