import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sourceHash } from './builtins.js';

describe('sourceHash', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('is the same while the sources are, and changes with any edit, even one keeping the size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lambdata-builtin-hash-'));
    dirs.push(dir);
    const file = join(dir, 'index.ts');
    writeFileSync(file, 'export const handler = () => 1;\n');
    const first = sourceHash(dir);
    expect(sourceHash(dir)).toBe(first);
    writeFileSync(file, 'export const handler = () => 2;\n');
    // An edit within the same second and size: the modification time still moves on.
    utimesSync(file, new Date(), new Date(Date.now() + 2000));
    const edited = sourceHash(dir);
    expect(edited).not.toBe(first);
    writeFileSync(join(dir, 'more.ts'), 'export {};\n');
    expect(sourceHash(dir)).not.toBe(edited);
  });
});
