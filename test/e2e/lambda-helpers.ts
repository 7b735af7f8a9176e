import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';

export { AWS_TEST_CONFIG } from '../helpers/aws.js';

/** Absolute path of a fixture under test/fixtures/lambda. */
export function lambdaFixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/lambda/${name}`, import.meta.url));
}

/** Zips a fixture directory in memory, as a user's build step would. */
export function zipFixture(name: string): Buffer {
  const root = lambdaFixture(name);
  const files: Record<string, Uint8Array> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files[relative(root, path)] = readFileSync(path);
    }
  };
  walk(root);
  return Buffer.from(zipSync(files));
}
