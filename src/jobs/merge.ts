/**
 * Merges committed task outputs into a job's result: totals, per-object counts, grep matches
 * with line numbers (a prefix sum of piece line counts per object), shuffle partitions, and the
 * key-wise sum of user mappers' JSON results.
 */
import type { MapPiece, MapResult, ReduceResult } from './protocol.js';
import type { GrepMatch, JobResult, TextCounts } from './types.js';

const TOP = 20;

/** Accumulates map and reduce outputs; each committed task is applied exactly once. */
export class ResultAccumulator {
  totals: TextCounts = { words: 0, lines: 0, bytes: 0 };
  perObject = new Map<string, TextCounts>();
  #grepPieces: MapPiece[] = [];
  #partitions: string[][] = [];
  #custom: unknown;
  #reduced: ReduceResult[] = [];
  #lineNumbers: boolean;

  /** `lineNumbers`: keep every piece's line count so matches get line numbers (grep). */
  constructor(lineNumbers: boolean) {
    this.#lineNumbers = lineNumbers;
  }

  /** Registers an input object, so objects without lines still appear with zero counts. */
  addObject(key: string): void {
    if (!this.perObject.has(key)) this.perObject.set(key, { words: 0, lines: 0, bytes: 0 });
  }

  /** Adds one committed map output. */
  applyMap(result: MapResult): TextCounts {
    const delta = { words: 0, lines: 0, bytes: 0 };
    for (const piece of result.pieces) {
      add(delta, piece);
      const counts = this.perObject.get(piece.key) ?? { words: 0, lines: 0, bytes: 0 };
      add(counts, piece);
      this.perObject.set(piece.key, counts);
      if (this.#lineNumbers) this.#grepPieces.push(piece);
    }
    add(this.totals, delta);
    result.partitions?.forEach((key, r) => {
      const inputs = this.#partitions[r] ?? [];
      inputs.push(key);
      this.#partitions[r] = inputs;
    });
    if (result.custom !== undefined) this.#custom = sumJson(this.#custom, result.custom);
    return delta;
  }

  /** Intermediate objects of partition `r`, from every committed map task. */
  partitionInputs(r: number): string[] {
    return this.#partitions[r] ?? [];
  }

  applyReduce(result: ReduceResult): void {
    this.#reduced.push(result);
  }

  /** The final result; `grep` asks for matches with line numbers. */
  finish(options: { output?: { bucket: string; summaryKey: string } } = {}): JobResult {
    const result: JobResult = {
      totals: { ...this.totals },
      objects: this.perObject.size,
      perObject: Object.fromEntries([...this.perObject.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    };
    if (this.#lineNumbers) result.matches = this.#matches();
    if (this.#reduced.length > 0 && options.output) {
      const reduced = [...this.#reduced].sort((a, b) => a.partition - b.partition);
      result.distinctWords = reduced.reduce((n, r) => n + r.distinct, 0);
      result.top = reduced
        .flatMap((r) => r.top)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, TOP);
      result.output = {
        bucket: options.output.bucket,
        keys: reduced.map((r) => r.outputKey),
        summaryKey: options.output.summaryKey,
      };
      result.spill = {
        runs: reduced.reduce((n, r) => n + (r.spilledRuns ?? 0), 0),
        bytes: reduced.reduce((n, r) => n + (r.spilledBytes ?? 0), 0),
      };
    }
    if (this.#custom !== undefined) result.custom = this.#custom;
    return result;
  }

  #matches(): GrepMatch[] {
    const byKey = new Map<string, MapPiece[]>();
    for (const piece of this.#grepPieces) {
      const list = byKey.get(piece.key) ?? [];
      list.push(piece);
      byKey.set(piece.key, list);
    }
    const matches: GrepMatch[] = [];
    for (const key of [...byKey.keys()].sort()) {
      const pieces = (byKey.get(key) as MapPiece[]).sort((a, b) => a.offset - b.offset || a.start - b.start);
      let before = 0;
      for (const piece of pieces) {
        for (const [index, text] of piece.matches ?? []) matches.push({ key, line: before + index + 1, text });
        before += piece.lines;
      }
    }
    return matches;
  }
}

function add(into: TextCounts, from: TextCounts): void {
  into.words += from.words;
  into.lines += from.lines;
  into.bytes += from.bytes;
}

/** Sums two JSON values key by key (numbers add, objects merge, anything else: the newer wins). */
export function sumJson(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (isObject(a) && isObject(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? sumJson(out[k], v) : v;
    return out;
  }
  return b === undefined ? a : b;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
