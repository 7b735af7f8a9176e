/**
 * Where environments come from: blank runtimes started ahead (Node per memory size, interpreters for
 * Runtime API runtimes), or a process started for one function, each through the launcher in the
 * sandbox; and what a cold start hands the one it takes (its `init`).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineContext } from '../shared/context.js';
import type { Logger } from '../shared/log.js';
import { distPath } from '../shared/paths.js';
import { Environment } from './environment.js';
import { blankEnvironment, functionEnvironment } from './environment-vars.js';
import { InterpreterBlanks } from './interpreter-blanks.js';
import { Launcher } from './launcher-client.js';
import { NodeBlanks } from './node-blanks.js';
import { nodeHeapArgs } from './node-heap.js';
import type { InitMessage } from './protocol.js';
import { RuntimeApi } from './runtime-api.js';
import { runtimeApiProgram } from './runtime-api-program.js';
import { speaksRuntimeApi } from './runtimes.js';
import { ENVIRONMENT_NICENESS, INSIDE, Sandbox } from './sandbox.js';
import type { FunctionErrorShape, RunRequest, RuntimeFunction } from './types.js';

/** How an environment's process is started (the options of its constructor). */
export interface SpawnOptions {
  id: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Starts the process (the engine never forks itself: see launcher.ts). */
  launcher: Launcher;
  /** Niceness the launcher sets on the process (the process level; a sandbox runs `nice` itself). */
  niceness?: number;
  /** Niceness the launcher sets on the session the process leads (every level: see LaunchRequest). */
  sessionNiceness?: number;
  /** The Runtime API server of a custom runtime; without it the process is the Node bootstrap over IPC. */
  api?: RuntimeApi;
  /** True when the process was started for one function (not a blank runtime handed one at init). */
  startedFor: boolean;
  /** The runtime's own host PID given the spawned process's (they differ inside a sandbox). */
  runtimePid: (spawned: number | undefined) => number | undefined;
  /** True when the kernel killed the environment for its memory cgroup. */
  oomKilled: () => boolean;
  log: Logger;
  /** Called once when the process is gone (after its tmp dir is removed). */
  onDeath: (environment: Environment) => void;
}

/** An environment for a cold start, and the `init` that makes it its function's. */
export interface ColdEnvironment {
  environment: Environment;
  message: InitMessage;
  /** Its host /tmp directory ('' in a sandbox). */
  tmpDir: string;
}

/** How long a close waits for killed environments to be reported gone before it stops the launcher anyway. */
const CLOSE_WAIT_MS = 5_000;

/** Starts environments; see the module comment. */
export class Spawner {
  readonly sandbox: Sandbox;
  #context: EngineContext;
  #log: Logger;
  #tmpRoot: string;
  #launcher: Launcher;
  #blanks: NodeBlanks;
  #interpreters: InterpreterBlanks;
  #all = new Set<Environment>();
  #onGone: (environment: Environment) => void;

  /** `prestart` blanks are kept of each kind; `onGone` hears of every environment's death. */
  constructor(
    context: EngineContext,
    log: Logger,
    options: { prestart: number; sandbox?: string },
    onGone: (environment: Environment) => void,
  ) {
    this.#context = context;
    this.#log = log;
    this.#onGone = onGone;
    this.#tmpRoot = join(context.dataDir, 'tmp');
    rmSync(this.#tmpRoot, { recursive: true, force: true }); // leftovers of a previous engine
    mkdirSync(this.#tmpRoot, { recursive: true });
    this.sandbox = new Sandbox(context.dataDir, options.sandbox);
    this.#launcher = new Launcher(log);
    this.#blanks = new NodeBlanks(options.prestart, (memoryMb) => this.#spawnBlank(memoryMb));
    this.#interpreters = new InterpreterBlanks(options.prestart, this.sandbox, (id, program, api) =>
      this.#spawn(id, program.command, program.args, blankEnvironment(), '/', undefined, api),
    );
  }

  /** Pre-started runtimes waiting for a function. */
  get prestarted(): number {
    return this.#blanks.size + this.#interpreters.size;
  }

  /** True when a cold start of `fn` would take a pre-started Node blank now (see prepare). */
  blankFits(fn: RuntimeFunction): boolean {
    if (speaksRuntimeApi(fn.runtime) || fn.environment.NODE_OPTIONS || !this.sandbox.canHandOff(fn)) return false;
    return this.#blanks.has(fn.memoryMb);
  }

  /**
   * An environment for a cold start of `request.fn` and its init message: a pre-started blank, or a
   * process started for it. The AWS error when its runtime cannot be started.
   */
  async prepare(request: RunRequest): Promise<ColdEnvironment | { error: FunctionErrorShape }> {
    const fn = request.fn;
    const id = randomBytes(16).toString('hex');
    const isolated = this.sandbox.isolated;
    // In a sandbox /tmp is the environment's own tmpfs; otherwise a directory of the data dir.
    const tmpDir = isolated ? '' : join(this.#tmpRoot, id);
    if (!isolated) mkdirSync(tmpDir);
    const env = functionEnvironment(fn, this.#context, id, tmpDir || INSIDE.tmp, isolated);
    let environment: Environment;
    if (speaksRuntimeApi(fn.runtime)) {
      const blank = this.#interpreters.take(fn, env);
      if (blank) {
        env.AWS_LAMBDA_RUNTIME_API = blank.api.address;
        environment = blank.environment;
      } else {
        const program = runtimeApiProgram(fn, isolated);
        if ('error' in program) {
          if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
          return { error: program.error };
        }
        const api = await RuntimeApi.listen();
        env.AWS_LAMBDA_RUNTIME_API = api.address;
        environment = this.#spawn(id, program.command, program.args, env, fn.codeDir, fn, api);
      }
    } else if (env.NODE_OPTIONS || !this.sandbox.canHandOff(fn)) {
      // NODE_OPTIONS only take effect at process start (and a sandbox's mounts are made at its start),
      // so such a function gets its own process.
      environment = this.#spawnFor(fn, id, env);
    } else {
      environment = this.#blanks.take(fn.memoryMb);
    }
    const handOff = environment.startedFor ? undefined : this.sandbox.handOff(environment.id, fn);
    if (environment.startedFor) this.sandbox.limit(environment.id, fn);
    const message: InitMessage = {
      t: 'init',
      codeDir: isolated ? INSIDE.task : fn.codeDir,
      handler: fn.handler,
      env,
      tmpDir: tmpDir || INSIDE.tmp,
      tmpLimitBytes: fn.ephemeralStorageMb * 1024 * 1024,
      functionName: fn.name,
      functionVersion: fn.version,
      memoryMb: fn.memoryMb,
      id: request.requestId,
      sandbox: handOff,
    };
    return { environment, message, tmpDir };
  }

  /** Starts the blanks missing. */
  refill(): void {
    this.#blanks.refill();
    this.#interpreters.refill();
  }

  /** Kills every environment and pre-started runtime, waits for their exits, and removes tmp dirs. */
  async close(): Promise<void> {
    this.#interpreters.close();
    const all = [...this.#all];
    for (const environment of all) environment.kill();
    await untilExited(all);
    this.#blanks.clear();
    this.sandbox.close();
    this.#launcher.close();
    rmSync(this.#tmpRoot, { recursive: true, force: true });
  }

  /** A blank Node runtime with the heap limits of `memoryMb` (node-heap.ts). */
  #spawnBlank(memoryMb: number): Environment {
    const bootstrap = this.sandbox.isolated ? `${INSIDE.dist}/runtime/bootstrap.js` : distPath('runtime/bootstrap.js');
    const node = this.sandbox.isolated ? INSIDE.node : process.execPath;
    const args = [...nodeHeapArgs(memoryMb), bootstrap];
    return this.#spawn(randomBytes(16).toString('hex'), node, args, blankEnvironment(), '/');
  }

  #spawnFor(fn: RuntimeFunction, id: string, env: Record<string, string>): Environment {
    const execArgv = nodeHeapArgs(fn.memoryMb, env.NODE_OPTIONS);
    const isolated = this.sandbox.isolated;
    const bootstrap = isolated ? `${INSIDE.dist}/runtime/bootstrap.js` : distPath('runtime/bootstrap.js');
    const node = isolated ? INSIDE.node : process.execPath;
    return this.#spawn(id, node, [...execArgv, bootstrap, '--from-start'], env, fn.codeDir, fn);
  }

  /** Starts an environment's process in its sandbox; `fn` when it is started for one function. */
  #spawn(
    id: string,
    command: string,
    args: string[],
    env: Record<string, string>,
    cwd: string,
    fn?: RuntimeFunction,
    api?: RuntimeApi,
  ): Environment {
    const launch = this.sandbox.launch(id, command, args, env, fn, api !== undefined);
    const environment = new Environment({
      id,
      ...launch,
      launcher: this.#launcher,
      niceness: this.sandbox.isolated ? undefined : ENVIRONMENT_NICENESS,
      sessionNiceness: ENVIRONMENT_NICENESS,
      cwd: this.sandbox.isolated ? '/' : cwd,
      api,
      startedFor: fn !== undefined,
      runtimePid: (spawned) => this.sandbox.runtimePid(spawned),
      oomKilled: () => this.sandbox.oomKilled(id),
      log: this.#log,
      onDeath: (gone) => {
        this.sandbox.release(gone.id);
        this.#all.delete(gone);
        this.#blanks.forget(gone);
        this.#interpreters.forget(gone);
        this.#onGone(gone);
      },
    });
    this.#all.add(environment);
    return environment;
  }
}

/**
 * Waits for the killed environments' exits. The launcher's channel does not hold the event loop (an
 * engine left idle may end its process), so a timer holds it meanwhile: without one the process
 * could end in the middle of a close, before the launcher reported the exits. Bounded: stopping the
 * launcher next takes its children with it (parent-death signal).
 */
async function untilExited(environments: readonly Environment[]): Promise<void> {
  let hold: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    hold = setTimeout(resolve, CLOSE_WAIT_MS);
  });
  try {
    await Promise.race([Promise.all(environments.map((environment) => environment.exited)), bound]);
  } finally {
    clearTimeout(hold);
  }
}
