/**
 * Pre-started blank Node runtimes, kept by the memory size their heap limits were set for (V8 fixes
 * its heap limits when the process starts; see node-heap.ts). A cold start takes a blank of its
 * function's size; blanks are kept for the default size and for the last other size a cold start
 * asked for, so a run of many environments of one size (a job's mappers) starts them from blanks.
 */
import type { Environment } from './environment.js';

/** Lambda's default memory size (MB). */
const DEFAULT_MEMORY_MB = 128;

type SpawnBlank = (memoryMb: number) => Environment;

/** The blank Node runtimes of each memory size; see the module comment. */
export class NodeBlanks {
  #count: number;
  #spawn: SpawnBlank;
  #blanks = new Map<number, Environment[]>([[DEFAULT_MEMORY_MB, []]]);

  /** `count` blanks per size kept; `spawn` starts one for a memory size. */
  constructor(count: number, spawn: SpawnBlank) {
    this.#count = count;
    this.#spawn = spawn;
  }

  /** How many wait now. */
  get size(): number {
    let size = 0;
    for (const list of this.#blanks.values()) size += list.length;
    return size;
  }

  /** True when a blank of `memoryMb` waits. */
  has(memoryMb: number): boolean {
    return this.#blanks.get(memoryMb)?.some((blank) => blank.alive) ?? false;
  }

  /** A waiting blank of `memoryMb`, or a new one (a process start). Keeps blanks of this size from now on. */
  take(memoryMb: number): Environment {
    this.#keep(memoryMb);
    const list = this.#blanks.get(memoryMb) as Environment[];
    for (let blank = list.shift(); blank; blank = list.shift()) if (blank.alive) return blank;
    return this.#spawn(memoryMb);
  }

  /** Starts blanks up to the count for each kept size. */
  refill(): void {
    for (const [memoryMb, list] of this.#blanks) while (list.length < this.#count) list.push(this.#spawn(memoryMb));
  }

  /** Drops a blank that died. */
  forget(environment: Environment): void {
    for (const list of this.#blanks.values()) {
      const at = list.indexOf(environment);
      if (at >= 0) list.splice(at, 1);
    }
  }

  /** Forgets every blank (their processes are killed by the pool). */
  clear(): void {
    for (const list of this.#blanks.values()) list.length = 0;
  }

  /** Keeps blanks of the default size and of `memoryMb`; those of a size dropped here are killed. */
  #keep(memoryMb: number): void {
    if (this.#blanks.has(memoryMb)) return;
    for (const [size, list] of this.#blanks) {
      if (size === DEFAULT_MEMORY_MB) continue;
      for (const blank of list) blank.kill();
      this.#blanks.delete(size);
    }
    this.#blanks.set(memoryMb, []);
  }
}
