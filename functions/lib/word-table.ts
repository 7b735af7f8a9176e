/**
 * A counting hash table keyed by word bytes, for wordfreq's hot loop: words are hashed (FNV-1a 32
 * of their lowercased bytes, the shuffle's partition hash) and compared in place, so a string is
 * made only once per distinct word, when the table is read out.
 */

const INITIAL_SLOTS = 1 << 14;

/** Word → count, filled from bytes. */
export class WordTable {
  #mask = INITIAL_SLOTS - 1;
  #hashes = new Int32Array(INITIAL_SLOTS);
  #counts = new Float64Array(INITIAL_SLOTS); // 0 = empty slot
  #starts = new Int32Array(INITIAL_SLOTS);
  #lengths = new Int32Array(INITIAL_SLOTS);
  #pool = new Uint8Array(1 << 16);
  #poolUsed = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds one occurrence of the lowercased bytes[start, end), whose FNV-1a hash is `hash`. */
  add(bytes: Uint8Array, start: number, end: number, hash: number): void {
    const len = end - start;
    let slot = hash & this.#mask;
    for (;;) {
      const count = this.#counts[slot] as number;
      if (count === 0) break;
      if (
        this.#hashes[slot] === hash &&
        this.#lengths[slot] === len &&
        this.#same(bytes, start, len, this.#starts[slot] as number)
      ) {
        this.#counts[slot] = count + 1;
        return;
      }
      slot = (slot + 1) & this.#mask;
    }
    if (this.#poolUsed + len > this.#pool.length) {
      const grown = new Uint8Array(Math.max(this.#pool.length * 2, this.#poolUsed + len));
      grown.set(this.#pool.subarray(0, this.#poolUsed));
      this.#pool = grown;
    }
    for (let i = 0; i < len; i++) this.#pool[this.#poolUsed + i] = (bytes[start + i] as number) | 0x20;
    this.#hashes[slot] = hash;
    this.#counts[slot] = 1;
    this.#starts[slot] = this.#poolUsed;
    this.#lengths[slot] = len;
    this.#poolUsed += len;
    if (++this.#size * 2 > this.#mask) this.#grow();
  }

  /** Every word with its count and hash. */
  *entries(): Generator<[word: string, count: number, hash: number]> {
    const pool = Buffer.from(this.#pool.buffer, this.#pool.byteOffset, this.#poolUsed);
    for (let slot = 0; slot <= this.#mask; slot++) {
      const count = this.#counts[slot] as number;
      if (count === 0) continue;
      const start = this.#starts[slot] as number;
      yield [
        pool.toString('latin1', start, start + (this.#lengths[slot] as number)),
        count,
        (this.#hashes[slot] as number) >>> 0,
      ];
    }
  }

  #same(bytes: Uint8Array, start: number, len: number, at: number): boolean {
    const pool = this.#pool;
    for (let i = 0; i < len; i++) if (((bytes[start + i] as number) | 0x20) !== pool[at + i]) return false;
    return true;
  }

  #grow(): void {
    const old = {
      hashes: this.#hashes,
      counts: this.#counts,
      starts: this.#starts,
      lengths: this.#lengths,
      mask: this.#mask,
    };
    const slots = (this.#mask + 1) * 2;
    this.#mask = slots - 1;
    this.#hashes = new Int32Array(slots);
    this.#counts = new Float64Array(slots);
    this.#starts = new Int32Array(slots);
    this.#lengths = new Int32Array(slots);
    for (let s = 0; s <= old.mask; s++) {
      if (old.counts[s] === 0) continue;
      let slot = (old.hashes[s] as number) & this.#mask;
      while (this.#counts[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#hashes[slot] = old.hashes[s] as number;
      this.#counts[slot] = old.counts[s] as number;
      this.#starts[slot] = old.starts[s] as number;
      this.#lengths[slot] = old.lengths[s] as number;
    }
  }
}
