/**
 * Pre-started runtimes of interpreted families (Python), as the pool pre-starts blank Node ones: a
 * blank interpreter has loaded lambdata's bootstrap and waits at the Runtime API for its function
 * (the init message: variables, and in a sandbox its user and code), so a cold start skips the
 * interpreter's start. A family is kept pre-started once one of its functions has had a cold start.
 */
import { randomBytes } from 'node:crypto';
import { distPath } from '../shared/paths.js';
import type { Environment } from './environment.js';
import { RuntimeApi } from './runtime-api.js';
import type { Program } from './runtime-api-program.js';
import { type RuntimeFamily, runtimeFamily } from './runtimes.js';
import { INSIDE, type Sandbox } from './sandbox.js';
import type { RuntimeFunction } from './types.js';

/** A blank runtime and the Runtime API it waits at. */
export interface InterpreterBlank {
  environment: Environment;
  api: RuntimeApi;
}

type Spawn = (id: string, program: Program, api: RuntimeApi) => Environment;

/** The blank interpreters of each family; see the module comment. */
export class InterpreterBlanks {
  #count: number;
  #sandbox: Sandbox;
  #spawn: Spawn;
  #blanks = new Map<RuntimeFamily, InterpreterBlank[]>();
  #starting = new Map<RuntimeFamily, number>();
  #closed = false;

  constructor(count: number, sandbox: Sandbox, spawn: Spawn) {
    this.#count = count;
    this.#sandbox = sandbox;
    this.#spawn = spawn;
  }

  /** How many wait now. */
  get size(): number {
    let size = 0;
    for (const list of this.#blanks.values()) size += list.length;
    return size;
  }

  /**
   * A blank runtime for `fn`, or undefined when its family is not pre-started, none waits yet, or
   * `fn` needs a process of its own (variables read at start, or a sandbox a blank cannot be handed).
   */
  take(fn: RuntimeFunction, env: Record<string, string>): InterpreterBlank | undefined {
    const family = runtimeFamily(fn.runtime);
    const launch = family?.launch;
    if (!family || launch?.kind !== 'interpreter' || !launch.prestart) return undefined;
    if (!this.#sandbox.canHandOff(fn)) return undefined;
    if (!this.#blanks.has(family)) this.#blanks.set(family, []); // from now on, kept pre-started
    if (Object.keys(env).some((name) => launch.prestart?.startOnlyVariables.test(name))) return undefined;
    const list = this.#blanks.get(family) as InterpreterBlank[];
    for (let blank = list.shift(); blank; blank = list.shift()) if (blank.environment.alive) return blank;
    return undefined;
  }

  /** Starts blanks up to the count for every family in use. */
  refill(): void {
    for (const [family, list] of this.#blanks) {
      const launch = family.launch;
      const interpreter = launch?.kind === 'interpreter' ? launch.interpreter() : undefined;
      if (launch?.kind !== 'interpreter' || !interpreter) continue;
      const script = this.#sandbox.isolated ? `${INSIDE.dist}/${launch.script}` : distPath(launch.script);
      while (list.length + (this.#starting.get(family) ?? 0) < this.#count) {
        this.#starting.set(family, (this.#starting.get(family) ?? 0) + 1);
        void RuntimeApi.listen(true).then((api) => {
          this.#starting.set(family, (this.#starting.get(family) ?? 1) - 1);
          if (this.#closed) {
            api.close();
            return;
          }
          const id = randomBytes(16).toString('hex');
          const program = { command: interpreter.path, args: [script, '--blank', api.address] };
          list.push({ environment: this.#spawn(id, program, api), api });
        });
      }
    }
  }

  /** Starts no more blanks (the pool kills those alive). */
  close(): void {
    this.#closed = true;
  }

  /** Drops a blank that died before it was handed a function. */
  forget(environment: Environment): void {
    for (const list of this.#blanks.values()) {
      const at = list.findIndex((blank) => blank.environment === environment);
      if (at >= 0) list.splice(at, 1);
    }
  }
}
