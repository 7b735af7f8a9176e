import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, requireBuild } from '../chaos/harness.js';

const SCRIPT = join(ROOT, 'test/fixtures/engine/close-after-runs.mjs');

function run(): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [SCRIPT], { timeout: 30_000 }, (_err, stdout) =>
      resolve({ code: child.exitCode, stdout }),
    );
  });
}

// The launcher's channel does not hold the event loop, so a close that waited on it alone could see
// its process end half way (exit code 13: a top-level await never settled), environments unreported.
it('engine.close() finishes, and the process then ends by itself, after environments ran', async () => {
  requireBuild();
  const results = await Promise.all(Array.from({ length: 4 }, run));
  expect(results).toEqual(results.map(() => ({ code: 0, stdout: 'closed\n' })));
}, 60_000);
