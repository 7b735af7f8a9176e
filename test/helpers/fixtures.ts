/** Paths of the handler fixtures under test/fixtures, and their packages zipped in memory. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Zippable, zipSync } from 'fflate';

/** Absolute path of a fixture under test/fixtures, e.g. `fixturePath('invoke/echo')`. */
export function fixturePath(path: string): string {
  return fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));
}

/** Zips a fixture directory in memory, as a user's build step would (file modes kept), plus `extra` entries by name. */
export function zipFixture(path: string, extra: Record<string, Uint8Array> = {}): Buffer {
  const root = fixturePath(path);
  const files: Zippable = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      // Each file's Unix mode goes with it, as `zip` records it (a custom runtime's bootstrap is executable).
      else files[relative(root, file)] = [readFileSync(file), { os: 3, attrs: (statSync(file).mode << 16) >>> 0 }];
    }
  };
  walk(root);
  return Buffer.from(zipSync({ ...files, ...extra }));
}
