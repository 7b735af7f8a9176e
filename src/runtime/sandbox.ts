/**
 * How execution environments are walled off, at the strongest level the machine allows:
 *
 * - `namespaces` (Linux, root, util-linux's unshare/setpriv/pivot_root): each environment gets its
 *   own mount, PID and IPC namespaces (see sandbox-script.ts: its own root with a tmpfs /tmp sized to
 *   its ephemeral storage, code read-only, no data dir, no host /proc), runs as an unprivileged user
 *   of its function, with memory, process-count and CPU-weight cgroups where cgroup v1 is writable, and dies
 *   with the engine (PID 1 of its namespace carries a parent-death signal).
 * - `user-namespaces` (Linux without root, where unprivileged user namespaces are allowed): the same
 *   mount, PID and IPC walls inside a user namespace of the engine's own, but environments cannot
 *   have users of their own: each runs as the one mapped user with every capability dropped, is
 *   started for its function (no blank hand-off, so no function can see another's code), and has
 *   no cgroups (the RSS sampler enforces memory).
 * - `process`: a plain child process with an explicit environment and a private /tmp directory
 *   enforced through Node's `fs` (bootstrap-tmp.ts); it dies with the engine where `setpriv` can
 *   give it a parent-death signal. Functions can see each other and the data dir at this level.
 *
 * `LAMBDATA_SANDBOX=process|namespaces` (or the pool option) asks for a level; asking for one the
 * machine cannot give is an error, so a weaker level is never taken silently.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join, relative, sep } from 'node:path';
import { InvalidParameterValue } from '../shared/errors.js';
import { distPath, packagePath } from '../shared/paths.js';
import { EnvironmentGroups } from './cgroups.js';
import { ReadGrants } from './read-grants.js';
import { SandboxFailed } from './run-errors.js';
import { ENVIRONMENT_SCRIPT, TEMPLATE_SCRIPT } from './sandbox-script.js';
import type { RuntimeFunction } from './types.js';

/** The isolation levels, strongest first. */
export const SANDBOX_LEVELS = ['namespaces', 'user-namespaces', 'process'] as const;
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

type Probe = { ok: true } | { ok: false; reason: string };
const probed = new Map<string, Probe>();

/** The sandbox of one engine; see the module comment. */
export class Sandbox {
  readonly info: SandboxInfo;
  readonly #functionsRoot: string;
  readonly #sandboxRoot: string;
  readonly #groups: EnvironmentGroups | undefined;
  /** Short-circuit read grants (namespace levels only: at the process level functions read over S3). */
  readonly grants: ReadGrants | undefined;
  readonly #ids = new Map<string, number>();
  readonly #setpriv: string | undefined;
  readonly #level: SandboxLevel;
  /** The process holding the template's namespaces open (both namespace levels). */
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
    const reasons: string[] = [];
    const level = SANDBOX_LEVELS.find((candidate) => {
      if (wanted !== undefined && candidate !== wanted) return false;
      if (candidate === 'process') return true;
      const result = probe(candidate);
      if (!result.ok) reasons.push(`${candidate}: ${result.reason}`);
      return result.ok;
    });
    if (level === undefined) {
      throw new InvalidParameterValue(`sandbox level '${wanted}' is not available here (${reasons.join('; ')})`);
    }
    this.#level = level;
    if (level === 'process') {
      linkRuntimeModules(dataDir);
      this.info = {
        level,
        features: this.#setpriv ? ['die-with-engine'] : [],
        reason: reasons.join('; ') || undefined,
      };
      this.ready = Promise.resolve();
      return;
    }
    mkdirSync(this.#functionsRoot, { recursive: true, mode: 0o711 });
    chmodSync(this.#functionsRoot, 0o711); // other functions' names stay unlisted
    mkdirSync(this.#sandboxRoot, { recursive: true });
    this.grants = new ReadGrants(dataDir);
    if (level === 'namespaces') {
      this.#groups = EnvironmentGroups.open();
      const cgroups = this.#groups.controllers.map((name) => `${name}-cgroup`);
      this.info = { level, features: ['mount-ns', 'pid-ns', 'ipc-ns', 'uid', 'tmpfs-tmp', ...cgroups] };
    } else {
      this.info = {
        level,
        features: ['user-ns', 'mount-ns', 'pid-ns', 'ipc-ns', 'no-capabilities', 'tmpfs-tmp'],
        reason: reasons.join('; ') || undefined,
      };
    }
    this.ready = this.#holdTemplate();
    this.ready.catch(() => undefined); // reported to whoever awaits it: the pool
  }

  /** True on the namespace levels: environments see the sandbox's paths (INSIDE), not the host's. */
  get isolated(): boolean {
    return this.#level !== 'process';
  }

  /**
   * True when a blank pre-started runtime can become `fn`'s environment: always at the process
   * level; in a namespace sandbox only for packages under the data dir (visible through the stage)
   * with the default ephemeral storage (the size of the blank's /tmp).
   */
  canHandOff(fn: RuntimeFunction): boolean {
    if (this.#level === 'process') return true;
    // In a user namespace every environment is the same user: a blank could read any staged function.
    if (this.#level === 'user-namespaces') return false;
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
    fn?: RuntimeFunction,
    envAtExec = false,
  ): Launch {
    if (!this.isolated) {
      return this.#setpriv
        ? { command: this.#setpriv, args: ['--pdeathsig', 'KILL', '--', command, ...args], env }
        : { command, args, env };
    }
    const procs = this.#groups?.create(envId) ?? [];
    const tmpBytes = (fn?.ephemeralStorageMb ?? DEFAULT_TMP_MB) * 1024 * 1024;
    const users = this.#level === 'namespaces';
    const id = fn && users ? String(this.#idOf(fn.name)) : fn ? '-' : '0';
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
        // The user namespace maps this user alone (as root): enter it as who we are, no setgroups.
        ...(users ? [] : [`--user=/proc/${this.#template?.pid}/ns/user`, '--preserve-credentials']),
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
        id,
        id,
        envFile,
        this.grants?.create(envId) ?? '',
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
  handOff(envId: string, fn: RuntimeFunction): HandOff | undefined {
    if (!this.isolated) return undefined;
    this.limit(envId, fn);
    const staged = this.#stagedPath(fn.codeDir) as string;
    const id = this.#idOf(fn.name);
    return { uid: id, gid: id, taskTarget: `${INSIDE.functions}/${staged}` };
  }

  /** Applies `fn`'s memory cap to an environment started for it. */
  limit(envId: string, fn: RuntimeFunction): void {
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
    this.grants?.remove(envId);
  }

  close(): void {
    this.#template?.kill('SIGKILL');
    this.#groups?.close();
    this.grants?.close();
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
        ...(this.#level === 'user-namespaces' ? ['--user', '--map-root-user'] : []),
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
        this.#level === 'namespaces' ? this.#functionsRoot : '',
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

/** Whether this machine lets the engine build sandboxes of `level` (checked once per process and level). */
function probe(level: 'namespaces' | 'user-namespaces'): Probe {
  const known = probed.get(level);
  if (known) return known;
  let result: Probe;
  const root = process.getuid?.() === 0;
  if (process.platform !== 'linux')
    result = { ok: false, reason: `namespaces need Linux (this is ${process.platform})` };
  else if (level === 'namespaces' && !root) result = { ok: false, reason: 'the engine does not run as root' };
  else if (level === 'user-namespaces' && root) result = { ok: false, reason: 'root takes the namespaces level' };
  else {
    const missing = UTILITIES.filter((name) => findExecutable(name) === undefined);
    if (missing.length > 0) result = { ok: false, reason: `missing ${missing.join(', ')} (util-linux)` };
    else {
      const user = level === 'user-namespaces' ? ['--user', '--map-root-user'] : [];
      const trial = spawnSync(
        'unshare',
        [...user, '--mount', '--pid', '--ipc', '--fork', '--propagation', 'private', 'true'],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          timeout: 10_000,
        },
      );
      result =
        trial.status === 0
          ? { ok: true }
          : { ok: false, reason: `unshare failed: ${trial.stderr?.toString().trim() || trial.error?.message}` };
    }
  }
  probed.set(level, result);
  return result;
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

/**
 * At the process level, code dirs live under the data dir: a `node_modules` link there is where an
 * ES module handler's bare imports (`@aws-sdk/…`, which NODE_PATH does not serve) end their walk up,
 * as /node_modules does inside a sandbox. The function's own node_modules still come first.
 */
function linkRuntimeModules(dataDir: string): void {
  const link = join(dataDir, 'node_modules');
  const target = packagePath('node_modules');
  let current: string | undefined;
  try {
    current = readlinkSync(link);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (current === target) return;
  if (current !== undefined) rmSync(link, { force: true }); // a link of an install elsewhere
  mkdirSync(dataDir, { recursive: true });
  symlinkSync(target, link, 'dir');
}
