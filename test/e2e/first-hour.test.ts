/**
 * The first hour's scripts: `npm start` rebuilds only a stale checkout, and `npm test` obtains its
 * browser (or says exactly how).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript build script without types
import { staleInputs } from '../../scripts/build-if-stale.js';

const ROOT = join(import.meta.dirname, '../..');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A checkout-shaped tree: build inputs written at `inputsAt`, outputs at `outputsAt` (seconds). */
function checkout(inputsAt: number, outputsAt: number): string {
  const root = mkdtempSync(join(tmpdir(), 'lambdata-stale-'));
  dirs.push(root);
  const write = (path: string, at: number) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), '');
    utimesSync(join(root, path), at, at);
  };
  for (const input of ['src/engine.ts', 'src/web/app.ts', 'tsconfig.build.json', 'package-lock.json'])
    write(input, inputsAt);
  for (const output of ['dist/engine.js', 'dist/cli/main.js', 'dist/web/dashboard.js', 'dist/web/index.html'])
    write(output, outputsAt);
  return root;
}

function run(script: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, script), ...args],
      { env: { ...process.env, ...env } },
      (err, _out, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }),
    );
  });
}

describe('npm start on a built checkout', () => {
  it('skips the build when dist is newer than every input, and names what changed otherwise', () => {
    const fresh = checkout(1_000_000, 2_000_000);
    expect(staleInputs(fresh)).toEqual([]);
    const edited = checkout(1_000_000, 2_000_000);
    utimesSync(join(edited, 'src/web/app.ts'), 3_000_000, 3_000_000);
    expect(staleInputs(edited)).toEqual(['src/web/app.ts']);
    const tested = checkout(1_000_000, 2_000_000);
    writeFileSync(join(tested, 'src/engine.test.ts'), ''); // a unit test is not a build input
    expect(staleInputs(tested)).toEqual([]);
    const unbuilt = checkout(1_000_000, 2_000_000);
    rmSync(join(unbuilt, 'dist/web/dashboard.js'));
    expect(staleInputs(unbuilt)).toEqual(['dist (not built)']);
  });
});

describe('npm test obtains Chromium', () => {
  it('as root with apt-get, installs a missing Chromium (dry run shows the command)', async () => {
    const result = await run('scripts/test-tools.js', ['--dry-run'], { LAMBDATA_CHROMIUM: '/nonexistent/chromium' });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('apt-get install -y chromium');
  });

  it('without apt-get, stops with the exact command to run', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'lambdata-bin-'));
    dirs.push(bin);
    const result = await run('scripts/test-tools.js', [], { LAMBDATA_CHROMIUM: '/nonexistent/chromium', PATH: bin });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/The tests need chromium and awscli/);
  });

  it('is silent when everything is there', async () => {
    const result = await run('scripts/test-tools.js', [], {});
    expect(result).toEqual({ code: 0, stderr: '' });
  });
});
