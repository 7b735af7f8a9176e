/**
 * The README's command blocks, run as a new user would: `lambdata serve --demo` (what `npm start`
 * runs after building) in its own process, then each `sh` block of the README in a shell, in order,
 * against it. `npx lambdata` runs this checkout's binary; `http://127.0.0.1:4566` becomes the test
 * server's URL; a line that never returns by design (`--follow`) is left out, and files a block
 * reads (./access.log, ./texts, ./myjob.ts, ./sdk.mjs beside node_modules) are made first. The quick start's own two commands are checked, not
 * run (this is `npm test`; its demo commands are run), and .ci/run must run exactly the README's test command.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMBDATA_BIN } from '../helpers/cli.js';

const ROOT = join(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const DEFAULT_URL = 'http://127.0.0.1:4566';
/** Blocks that only show how the server is spelled, or are the developer's own commands in the checkout. */
const NOT_RUN = [/lambdata serve \[/, /^npm run build/m];

interface Block {
  heading: string;
  text: string;
}

const blocks = shellBlocks(README);
let home: string;
let server: ChildProcess | undefined;
let url = '';

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'lambdata-readme-'));
  server = spawn(process.execPath, [LAMBDATA_BIN, 'serve', '--demo', '--port', '0', '--data-dir', join(home, 'data')], {
    cwd: home,
    env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The banner gives the URL; the demo is seeded after it, and says so.
  url = await new Promise<string>((resolve, reject) => {
    let listening = '';
    server?.once('exit', (code) => reject(new Error(`lambdata serve --demo exited with ${code}`)));
    createInterface({ input: server?.stdout as NonNullable<ChildProcess['stdout']> }).on('line', (line) => {
      listening ||= /listening on (\S+)/.exec(line)?.[1] ?? '';
      if (listening && line.startsWith('Demo ready')) resolve(listening);
    });
  });
  writeFileSync(join(home, 'access.log'), '127.0.0.1 - - [24/Nov/2026] "GET / HTTP/1.1" 200 12\n');
  writeFileSync(join(home, 'myjob.ts'), codeBlocks(README, 'ts').find((text) => text.startsWith('// myjob.ts')) ?? '');
  // The SDK example, saved as the README says, beside an installed @aws-sdk (this checkout's).
  const sdk = codeBlocks(README, 'js').find((text) => text.startsWith('// sdk.mjs')) ?? '';
  writeFileSync(join(home, 'sdk.mjs'), sdk.replaceAll(DEFAULT_URL, url));
  symlinkSync(join(ROOT, 'node_modules'), join(home, 'node_modules'));
  mkdirSync(join(home, 'texts'));
  for (let i = 0; i < 3; i++)
    writeFileSync(join(home, 'texts', `t${i}.txt`), 'Call me Ishmael. The whale.\n'.repeat(50));
}, 60_000);

afterAll(() => {
  server?.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

describe('README', () => {
  it('gives the two quick-start commands, and .ci/run runs its test command', () => {
    const quick = blocks.find((block) => block.heading === 'Quick start');
    expect(quick?.text).toMatch(/^npm ci && npm start\b/m);
    expect(quick?.text).toMatch(/^npm ci && npm test\b/m);
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toMatch(/^npm ci && npm test$/m);
  });

  // The quick start's `npm ci && …` block is this very run; its demo commands run like every other block.
  const runnable = blocks.filter(
    (block) => !/^npm ci\b/m.test(block.text) && !NOT_RUN.some((pattern) => pattern.test(block.text)),
  );
  for (const [index, block] of runnable.entries()) {
    it(`runs block ${index + 1} of “${block.heading}” against lambdata serve`, async () => {
      const script = block.text
        .split('\n')
        .filter((line) => !line.includes('--follow'))
        .join('\n')
        .replaceAll(DEFAULT_URL, url);
      const result = await shell(script);
      expect(result.stderr, `${script}\n--- stdout:\n${result.stdout}`).not.toMatch(/error|Error/);
      expect(result.code, `${script}\n--- stderr:\n${result.stderr}`).toBe(0);
      // lambdata's own output carries no notice from the SDK it is built on.
      if (/\blambdata\b/.test(script)) expect(result.stderr + result.stdout).not.toContain('NodeVersionSupportWarning');
    }, 120_000);
  }
});

/** Every ```sh block with the heading it sits under. */
function shellBlocks(markdown: string): Block[] {
  const found: Block[] = [];
  let heading = '';
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const title = /^#{2,3} (.+)$/.exec(line);
    if (title) heading = title[1] as string;
    if (line.trim() !== '```sh') continue;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i]?.trim() !== '```'; i++) body.push(lines[i] as string);
    found.push({ heading, text: body.join('\n') });
  }
  return found;
}

/** The text of every code block in `language`. */
function codeBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp(`^\`\`\`${language}\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map(
    (match) => match[1] as string,
  );
}

/** Runs `script` in bash -e with `npx lambdata` meaning this checkout's binary, in the test's home. */
function shell(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const prelude = [
    'set -e',
    `npx() { if [ "$1" = lambdata ]; then shift; node ${JSON.stringify(LAMBDATA_BIN)} "$@"; else command npx "$@"; fi; }`,
  ].join('\n');
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', `${prelude}\n${script}`],
      {
        cwd: home,
        env: { PATH: process.env.PATH ?? '', HOME: home, LAMBDATA_ENDPOINT: url, LAMBDATA_LOG: 'error' },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 110_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
