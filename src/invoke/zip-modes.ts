/**
 * The Unix permissions a zip records for its entries (the central directory's external attributes,
 * written by `zip` and most archivers on Unix), so a custom runtime's `bootstrap` stays executable
 * once its package is unpacked. fflate unzips the bytes but does not report these attributes.
 */

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const END_RECORD_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;
const UNIX = 3;

/**
 * Names of the entries marked executable by a Unix archiver. A zip without a readable central
 * directory yields none (unzipping reports what is wrong with it).
 */
export function executableEntries(zip: Buffer): Set<string> {
  const names = new Set<string>();
  const end = findEndRecord(zip);
  if (end < 0) return names;
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < count && at + 46 <= zip.length; i++) {
    if (zip.readUInt32LE(at) !== DIRECTORY_ENTRY) break;
    const madeBy = zip.readUInt8(at + 5);
    const nameBytes = zip.readUInt16LE(at + 28);
    const extraBytes = zip.readUInt16LE(at + 30);
    const commentBytes = zip.readUInt16LE(at + 32);
    const mode = zip.readUInt32LE(at + 38) >>> 16;
    const name = zip.toString('utf8', at + 46, at + 46 + nameBytes);
    if (madeBy === UNIX && (mode & 0o111) !== 0 && !name.endsWith('/')) names.add(name);
    at += 46 + nameBytes + extraBytes + commentBytes;
  }
  return names;
}

function findEndRecord(zip: Buffer): number {
  const last = zip.length - END_RECORD_BYTES;
  for (let at = last; at >= 0 && at >= last - MAX_COMMENT_BYTES; at--) {
    if (zip.readUInt32LE(at) === END_OF_DIRECTORY) return at;
  }
  return -1;
}
