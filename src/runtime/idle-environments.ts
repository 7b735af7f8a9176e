/**
 * Warm environments at rest, per function version (the pool's key), most recently used last: a
 * run takes the one that rested least, and those idle past the pool's idle time are reaped.
 */
import type { Environment } from './environment.js';

/** The idle environments of every function version; see the module comment. */
export class IdleEnvironments {
  #lists = new Map<string, Environment[]>();

  /** Idle environments of every version. */
  get size(): number {
    let size = 0;
    for (const list of this.#lists.values()) size += list.length;
    return size;
  }

  /** Idle environments of version `key`. */
  count(key: string): number {
    return this.#lists.get(key)?.length ?? 0;
  }

  /** The most recently used idle environment of `key`, no longer idle. */
  take(key: string): Environment | undefined {
    return this.#lists.get(key)?.pop();
  }

  /** Puts `environment` at rest. */
  add(environment: Environment): void {
    const list = this.#lists.get(environment.key);
    if (list) list.push(environment);
    else this.#lists.set(environment.key, [environment]);
  }

  /** Forgets `environment` (it is gone). */
  forget(environment: Environment): void {
    const list = this.#lists.get(environment.key);
    const at = list?.indexOf(environment) ?? -1;
    if (!list || at < 0) return;
    list.splice(at, 1);
    if (list.length === 0) this.#lists.delete(environment.key);
  }

  /** Kills the idle environments of `functionName` (every version). */
  retire(functionName: string): void {
    for (const [key, list] of this.#lists) {
      if (list[0]?.fn?.name !== functionName) continue;
      this.#lists.delete(key);
      for (const environment of list) environment.kill();
    }
  }

  /** Kills the environments last used at or before `cutoff` (performance.now()). */
  reap(cutoff: number): void {
    for (const [key, list] of this.#lists) {
      const stale = list.filter((environment) => environment.lastUsed <= cutoff);
      if (stale.length === 0) continue;
      const fresh = list.filter((environment) => environment.lastUsed > cutoff);
      if (fresh.length > 0) this.#lists.set(key, fresh);
      else this.#lists.delete(key);
      for (const environment of stale) environment.kill();
    }
  }

  clear(): void {
    this.#lists.clear();
  }
}
