/**
 * Pre-started blank Node runtimes, kept by the memory size their heap limits were set for (V8 fixes
 * its heap limits when the process starts; see node-heap.ts). A cold start takes a blank of its
 * function's size; blanks are kept for the default size and for the last OTHER_SIZES other sizes
 * cold starts asked for (a job's mappers and reducers, say), so runs of many environments of one
 * size start them from blanks.
 */
import type { Environment } from './environment.js';

/** Lambda's default memory size (MB). */
const DEFAULT_MEMORY_MB = 128;
/** Other memory sizes kept pre-started at once (the most recently asked for). */
const OTHER_SIZES = 2;

type SpawnBlank = (memoryMb: number) => Environment;

/** The blank Node runtimes of each memory size; see the module comment. */
export class NodeBlanks {
  #count: number;
  #spawn: SpawnBlank;
  #blanks = new Map<number, Environment[]>([[DEFAULT_MEMORY_MB, []]]);
  /** The other sizes kept, least recently asked for first. */
  #others: number[] = [];

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

  /** Keeps blanks of `memoryMb` from now on; those of the size it displaces are killed. */
  #keep(memoryMb: number): void {
    if (memoryMb === DEFAULT_MEMORY_MB) return;
    const at = this.#others.indexOf(memoryMb);
    if (at >= 0) this.#others.splice(at, 1);
    this.#others.push(memoryMb);
    if (!this.#blanks.has(memoryMb)) this.#blanks.set(memoryMb, []);
    while (this.#others.length > OTHER_SIZES) {
      const dropped = this.#others.shift() as number;
      for (const blank of this.#blanks.get(dropped) ?? []) blank.kill();
      this.#blanks.delete(dropped);
    }
  }
}
