/** Directories for files that a test's functions write and the test reads back. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A fresh dir and its remover. It lives under test-artifacts/ rather than /tmp because handlers see a
 * private /tmp: files they write there to report back would not reach the test.
 */
export function artifactDir(prefix = 'lambdata-'): { path: string; remove(): void } {
  const base = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
  mkdirSync(base, { recursive: true });
  const path = mkdtempSync(join(base, prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
