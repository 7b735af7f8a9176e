/** The N largest counts seen, ties by key: what a reducer reports as its top words without keeping them all. */
export class TopCounts {
  readonly #size: number;
  #entries: Array<[string, number]> = [];

  constructor(size = 20) {
    this.#size = size;
  }

  /** Considers one key's count. */
  offer(key: string, count: number): void {
    const entries = this.#entries;
    if (entries.length === this.#size && !before([key, count], entries[entries.length - 1] as [string, number])) return;
    let i = entries.length;
    while (i > 0 && before([key, count], entries[i - 1] as [string, number])) i--;
    entries.splice(i, 0, [key, count]);
    if (entries.length > this.#size) entries.pop();
  }

  /** Largest first; equal counts in key order. */
  list(): Array<[string, number]> {
    return [...this.#entries];
  }
}

function before(a: [string, number], b: [string, number]): boolean {
  return a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]);
}
