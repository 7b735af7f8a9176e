import { InvalidRange } from './errors.js';

/**
 * Parses a raw `Range` header as S3 does, for an object of `size` bytes: `bytes=a-b` (end clamped),
 * `bytes=a-` and `bytes=-n` (the last n bytes). Malformed or multi-range headers are ignored (undefined:
 * serve the whole object). Throws InvalidRange (416) when the range cannot be satisfied.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) throw new InvalidRange(size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) throw new InvalidRange(size);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { start, end };
}
