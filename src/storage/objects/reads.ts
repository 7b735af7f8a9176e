/** The read path of the object store: opening an object's current body, whole or a byte range. */
import { openSync } from 'node:fs';
import { FileBody } from './file-body.js';
import type { BodyFiles } from './files.js';
import { parseRange } from './range.js';
import { type ObjectRow, toObjectInfo } from './schema.js';
import type { ObjectRead } from './types.js';

const REOPEN_ATTEMPTS = 5;

/**
 * Opens the body `row()` names, optionally a byte range (raw `bytes=…` header). The open file keeps
 * this version readable even if the key is overwritten meanwhile. Throws what `row` throws, InvalidRange.
 */
export function openObject(files: BodyFiles, row: () => ObjectRow, rangeHeader?: string): ObjectRead {
  for (let attempt = 0; ; attempt++) {
    const current = row();
    const range = parseRange(rangeHeader, current.size);
    let fd: number;
    try {
      fd = openSync(files.absolute(current.file), 'r');
    } catch (err) {
      // An overwrite committed and unlinked this body between our read of the row and the open: re-read.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < REOPEN_ATTEMPTS) continue;
      throw err;
    }
    const body = range ? new FileBody(fd, range.start, range.end) : new FileBody(fd, 0, current.size - 1);
    return range ? { info: toObjectInfo(current), body, range } : { info: toObjectInfo(current), body };
  }
}
