/**
 * Blocked gzip ("bgzip"): the splittable compressed format of jobs. The data object is an ordinary
 * multi-member gzip file (any gunzip reads it whole); each member holds whole lines of about
 * `blockSize` bytes, cut only after a '\n'. A sibling object `<key>.bgzi` indexes the members so
 * each one can be a split of its own.
 */
import { gzipSync } from 'node:zlib';

/** Suffix of the index object next to a bgzip data object. */
export const BGZIP_INDEX_SUFFIX = '.bgzi';

/** One member: compressed [offset, offset+length) holds raw [rawOffset, rawOffset+rawLength). */
export interface BgzipMember {
  offset: number;
  length: number;
  rawOffset: number;
  rawLength: number;
}

/** The index object's JSON. */
export interface BgzipIndex {
  format: 'lambdata-bgzip/1';
  size: number;
  rawSize: number;
  members: BgzipMember[];
}

/**
 * Compresses text into bgzip members of about `blockSize` raw bytes each.
 * @throws RangeError when blockSize is not a positive integer.
 */
export function encodeBgzip(text: Uint8Array, blockSize = 4 * 1024 * 1024): { data: Buffer; index: BgzipIndex } {
  if (!Number.isInteger(blockSize) || blockSize < 1)
    throw new RangeError(`blockSize must be a positive integer, got ${blockSize}`);
  const parts: Buffer[] = [];
  const members: BgzipMember[] = [];
  let offset = 0;
  for (let start = 0; start < text.length; ) {
    // Cut after the first '\n' at or past the block size, so members hold whole lines.
    const nl = text.indexOf(0x0a, Math.min(text.length, start + blockSize) - 1);
    const end = nl < 0 ? text.length : nl + 1;
    const member = gzipSync(text.subarray(start, end));
    parts.push(member);
    members.push({ offset, length: member.length, rawOffset: start, rawLength: end - start });
    offset += member.length;
    start = end;
  }
  if (parts.length === 0) {
    // An empty input is still a valid gzip file: one empty member.
    const member = gzipSync(Buffer.alloc(0));
    parts.push(member);
    members.push({ offset: 0, length: member.length, rawOffset: 0, rawLength: 0 });
    offset = member.length;
  }
  return {
    data: Buffer.concat(parts),
    index: { format: 'lambdata-bgzip/1', size: offset, rawSize: text.length, members },
  };
}

/** Parses and checks an index object's JSON. @throws Error when it is not a bgzip index. */
export function parseBgzipIndex(json: string): BgzipIndex {
  const index = JSON.parse(json) as BgzipIndex;
  if (index?.format !== 'lambdata-bgzip/1' || !Array.isArray(index.members))
    throw new Error('not a lambdata bgzip index');
  return index;
}
