/** Template fixtures copied to a scratch dir (so a test can edit them), and `lambdata deploy --template` runs. */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliResult } from './cli.js';
import { LAMBDATA_BIN } from './cli.js';
import { fixturePath } from './fixtures.js';

/** A copy of test/fixtures/templates/<name> and its remover. */
export function copyTemplateFixture(name: string): { dir: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), `lambdata-template-${name}-`));
  const dir = join(root, name);
  cpSync(fixturePath(`templates/${name}`), dir, { recursive: true });
  return { dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Runs `lambdata --endpoint <endpoint> …args` with `env` added to the small test environment. */
export function runLambdataWithEnv(
  endpoint: string,
  env: Record<string, string>,
  ...args: string[]
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [LAMBDATA_BIN, '--endpoint', endpoint, ...args],
      { env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'silent', ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** The `ACTION TYPE NAME` rows a deploy printed, as `action type name` strings. */
export function changeLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => ['created', 'updated', 'unchanged', 'deleted', 'kept'].includes(cols[0] ?? ''))
    .map((cols) => cols.join(' '));
}
