import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Zippable, zipSync } from 'fflate';
import { UsageError } from './command.js';

/** 1980-01-01, the first date a zip entry can hold. */
const ZIP_EPOCH = 315532800000;

/** The zip bytes of a .zip (or .jar) file, or of a directory zipped here (skipping .git and node_modules/.bin). */
export function packageSource(source: string): Uint8Array {
  const stat = statSync(source, { throwIfNoEntry: false });
  if (!stat) throw new UsageError(`no such file or directory: ${source}`);
  if (stat.isFile()) {
    // A jar is a zip: Java functions deploy as a fat jar, as on AWS.
    if (!/\.(zip|jar)$/.test(source)) throw new UsageError(`${source} is not a directory, a .zip or a .jar file`);
    return readFileSync(source);
  }
  const files: Zippable = {};
  for (const file of walk(source, source)) {
    // Unix permissions travel in the high 16 bits of the external attributes (keeps `bootstrap` executable).
    const stat = statSync(file);
    const attrs = ((stat.mode & 0o777) | 0o100000) * 0x10000;
    // Each entry keeps its file's time, so the same files zip to the same bytes (a redeploy sees no change).
    const mtime = Math.max(stat.mtimeMs, ZIP_EPOCH);
    files[relative(source, file).split('\\').join('/')] = [readFileSync(file), { os: 3, attrs, mtime }];
  }
  if (Object.keys(files).length === 0) throw new UsageError(`${source} is empty`);
  return zipSync(files, { level: 6 });
}

function* walk(root: string, dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = relative(root, path).split('\\').join('/');
    if (entry.name === '.git' || rel === 'node_modules/.bin' || rel.endsWith('/node_modules/.bin')) continue;
    if (entry.isDirectory()) yield* walk(root, path);
    else if (entry.isFile()) yield path;
  }
}
