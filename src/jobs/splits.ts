/**
 * Line-ownership rules for splits, shared by the coordinator and the mapper functions
 * (functions/lib/splits.ts re-exports this module; esbuild bundles it into each function).
 *
 * A split is a byte range [start, end) of one (decompressed) stream. It owns every line whose
 * first byte lies inside it, and reads past `end` to finish its last line, however long. Line
 * starts are byte 0 and every byte that follows a '\n'. So the bytes a split owns are
 * [firstLineStart(start), firstLineStart(end)), and the splits of one object tile it exactly.
 */

const NEWLINE = 0x0a;

/** A byte range of one object or one decompressed member. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Cuts `size` bytes into ranges of `splitSize` (the last one shorter); an empty object yields none.
 * A last range under 1/16 of `splitSize` joins the one before it, so an object a few bytes over a
 * multiple of the split size does not cost a task of its own.
 */
export function planRanges(size: number, splitSize: number): ByteRange[] {
  if (!Number.isInteger(splitSize) || splitSize < 1)
    throw new RangeError(`splitSize must be a positive integer, got ${splitSize}`);
  const ranges: ByteRange[] = [];
  for (let start = 0; start < size; start += splitSize) ranges.push({ start, end: Math.min(size, start + splitSize) });
  const last = ranges[ranges.length - 1];
  const before = ranges[ranges.length - 2];
  if (last && before && (last.end - last.start) * 16 < splitSize) {
    before.end = last.end;
    ranges.pop();
  }
  return ranges;
}

/** Reads bytes [start, end) of the stream (end may pass the stream's size). */
export type RangeReader = (start: number, end: number) => Promise<Uint8Array>;

/**
 * Finds the first line start at or after `position` in a stream of `size` bytes: `position` itself
 * when it is 0 or follows a '\n', else the byte after the next '\n', else `size`.
 */
export async function lineStartAtOrAfter(
  read: RangeReader,
  size: number,
  position: number,
  chunkSize = 64 * 1024,
): Promise<number> {
  if (position <= 0) return 0;
  if (position >= size) return size;
  // Look from position-1: a '\n' there means `position` already starts a line.
  for (let from = position - 1; from < size; from += chunkSize) {
    const bytes = await read(from, Math.min(size, from + chunkSize));
    const at = bytes.indexOf(NEWLINE);
    if (at >= 0) return Math.min(size, from + at + 1);
    if (bytes.length === 0) break;
  }
  return size;
}

/** The exact byte range [from, to) a split owns; `from === to` means it owns no line. */
export async function ownedRange(
  read: RangeReader,
  size: number,
  split: ByteRange,
  chunkSize?: number,
): Promise<ByteRange> {
  const from = await lineStartAtOrAfter(read, size, split.start, chunkSize);
  if (from >= split.end) return { start: from, end: from };
  const to = await lineStartAtOrAfter(read, size, split.end, chunkSize);
  return { start: from, end: to };
}

/** The same rule over bytes already in memory (for tests and in-memory pipelines). */
export function ownedRangeInMemory(bytes: Uint8Array, split: ByteRange): ByteRange {
  const startOf = (position: number): number => {
    if (position <= 0) return 0;
    if (position >= bytes.length) return bytes.length;
    const at = bytes.indexOf(NEWLINE, position - 1);
    return at < 0 ? bytes.length : at + 1;
  };
  const from = startOf(split.start);
  if (from >= split.end) return { start: from, end: from };
  return { start: from, end: startOf(split.end) };
}

/** Index of the last '\n' in `bytes` (or -1): where a chunk can be cut so it holds only whole lines. */
export function lastNewline(bytes: Uint8Array): number {
  return bytes.lastIndexOf(NEWLINE);
}
