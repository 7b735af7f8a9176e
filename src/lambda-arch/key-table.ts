/**
 * A flat open-addressing table of states keyed by strings that arrive as slices of a longer text
 * (`text[start, end)`): a key already present is found by its hash and one comparison in place, so
 * counting a word costs no string of its own and no nested maps; keys may also come as ASCII bytes.
 * The batch mapper's word counts run through it (one table per bucket); it imports nothing, as it
 * runs inside the view's functions.
 */

const FIRST_CAPACITY = 256;
/** Decodes a new key's bytes (ASCII: the same characters in any of these encodings). */
const ASCII = new TextDecoder();

/** FNV-1a over the UTF-16 code units of text[start, end). */
function hashOf(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h | 0;
}

export class KeyTable {
  #mask = FIRST_CAPACITY - 1;
  #hashes = new Int32Array(FIRST_CAPACITY);
  #keys: Array<string | undefined> = new Array(FIRST_CAPACITY).fill(undefined);
  #states: unknown[] = new Array(FIRST_CAPACITY).fill(undefined);
  #size = 0;

  /** Distinct keys held. */
  get size(): number {
    return this.#size;
  }

  /**
   * Merges `state` into the state of key text[start, end) with `merge` (the first state of a key is
   * kept as given).
   */
  add(text: string, start: number, end: number, state: unknown, merge: (a: unknown, b: unknown) => unknown): void {
    const length = end - start;
    const hash = hashOf(text, start, end);
    const keys = this.#keys;
    const hashes = this.#hashes;
    const mask = this.#mask;
    let slot = hash & mask;
    for (;;) {
      const key = keys[slot];
      if (key === undefined) break;
      if (hashes[slot] === hash && key.length === length && text.startsWith(key, start)) {
        this.#states[slot] = merge(this.#states[slot], state);
        return;
      }
      slot = (slot + 1) & mask;
    }
    keys[slot] = start === 0 && end === text.length ? text : text.slice(start, end);
    hashes[slot] = hash;
    this.#states[slot] = state;
    if (++this.#size * 2 > mask) this.#grow();
  }

  /**
   * add() for a key given as ASCII bytes[start, end) (the same key as the string of those characters,
   * hashed alike): a key already present costs one probe and a comparison in place.
   */
  addBytes(
    bytes: Uint8Array,
    start: number,
    end: number,
    state: unknown,
    merge: (a: unknown, b: unknown) => unknown,
  ): void {
    const length = end - start;
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
    hash |= 0;
    const keys = this.#keys;
    const hashes = this.#hashes;
    const mask = this.#mask;
    let slot = hash & mask;
    for (;;) {
      const key = keys[slot];
      if (key === undefined) break;
      if (hashes[slot] === hash && key.length === length && sameBytes(key, bytes, start)) {
        this.#states[slot] = merge(this.#states[slot], state);
        return;
      }
      slot = (slot + 1) & mask;
    }
    keys[slot] = ASCII.decode(bytes.subarray(start, end));
    hashes[slot] = hash;
    this.#states[slot] = state;
    if (++this.#size * 2 > mask) this.#grow();
  }

  /** Each key with its state, in no particular order. */
  *entries(): Generator<[string, unknown]> {
    const keys = this.#keys;
    for (let slot = 0; slot < keys.length; slot++) {
      const key = keys[slot];
      if (key !== undefined) yield [key, this.#states[slot]];
    }
  }

  #grow(): void {
    const keys = this.#keys;
    const hashes = this.#hashes;
    const states = this.#states;
    const capacity = keys.length * 2;
    this.#mask = capacity - 1;
    this.#hashes = new Int32Array(capacity);
    this.#keys = new Array(capacity).fill(undefined);
    this.#states = new Array(capacity).fill(undefined);
    for (let old = 0; old < keys.length; old++) {
      const key = keys[old];
      if (key === undefined) continue;
      let slot = (hashes[old] as number) & this.#mask;
      while (this.#keys[slot] !== undefined) slot = (slot + 1) & this.#mask;
      this.#keys[slot] = key;
      this.#hashes[slot] = hashes[old] as number;
      this.#states[slot] = states[old];
    }
  }
}

/** True when `key`'s character codes are bytes[start, start + key.length). */
function sameBytes(key: string, bytes: Uint8Array, start: number): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}
