/** The read path of the object store: opening an object's body, whole, a byte range or one part. */
import { openSync } from 'node:fs';
import { InvalidPartNumber } from './errors.js';
import { FileBody } from './file-body.js';
import type { BodyFiles } from './files.js';
import { parseRange } from './range.js';
import { type ObjectRow, toObjectInfo } from './schema.js';
import type { ObjectRead } from './types.js';

const REOPEN_ATTEMPTS = 5;

/**
 * Opens the body `row()` names, optionally a byte range (raw `bytes=…` header, or one computed from the
 * row). The open file keeps this version readable even if the key is overwritten meanwhile. Throws what
 * `row` throws, InvalidRange.
 */
export function openObject(
  files: BodyFiles,
  row: () => ObjectRow,
  rangeHeader?: string | ((row: ObjectRow) => string | undefined),
  versioned = false,
): ObjectRead {
  for (let attempt = 0; ; attempt++) {
    const current = row();
    const header = typeof rangeHeader === 'function' ? rangeHeader(current) : rangeHeader;
    const range = parseRange(header, current.size);
    let fd: number;
    try {
      fd = openSync(files.absolute(current.file), 'r');
    } catch (err) {
      // An overwrite committed and unlinked this body between our read of the row and the open: re-read.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < REOPEN_ATTEMPTS) continue;
      throw err;
    }
    const info = toObjectInfo(current, versioned);
    const body = range ? new FileBody(fd, range.start, range.end) : new FileBody(fd, 0, current.size - 1);
    return range ? { info, body, range } : { info, body };
  }
}

/**
 * The byte range (as a `bytes=…` header) of part `partNumber` of an object: a part of a multipart
 * upload, or part 1 of an object written whole. Throws InvalidPartNumber past the last part.
 */
export function partRange(row: ObjectRow, partNumber: number): string | undefined {
  const sizes = row.parts === null ? [row.size] : (JSON.parse(row.parts) as number[]);
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > sizes.length) throw new InvalidPartNumber();
  const start = sizes.slice(0, partNumber - 1).reduce((sum, size) => sum + size, 0);
  const size = sizes[partNumber - 1] ?? 0;
  // An empty object has no byte to range over: its one part is served whole.
  return size === 0 ? undefined : `bytes=${start}-${start + size - 1}`;
}
