/**
 * Chaos harness: runs `lambdata serve` as its own process on a temp data dir, kills it with SIGKILL at a
 * seeded random moment, restarts it on the same dir, and tallies what was acknowledged against what
 * survived. Used by the `*.chaos.ts` scenarios (`npm run test:chaos`), never by `npm test`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** A running `lambdata serve` process. */
export interface Serve {
  child: ChildProcess;
  url: string;
  exited: Promise<void>;
}

/** One round of one scenario, as printed in the table and written to the results file. */
export interface Tally {
  scenario: string;
  round: number;
  seed: number;
  killAtMs: number;
  acknowledged: number;
  survived: number;
  lost: number;
  duplicates: number;
  torn: number;
  /** Unacknowledged writes in flight at the kill, and what became of them (scenario-specific). */
  note: string;
  /** Execution-environment processes still alive 2 s after the engine was killed. */
  orphans: number;
}

/** Absolute path of the repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const BIN = join(ROOT, 'bin/lambdata.js');
const ARTIFACTS = join(ROOT, 'test-artifacts/chaos');
const RESULTS = join(ARTIFACTS, 'results.jsonl');

/** Rounds per scenario: LAMBDATA_CHAOS_ROUNDS, default 3. */
export const ROUNDS = positiveEnv('LAMBDATA_CHAOS_ROUNDS', 3);

/** Base seed: LAMBDATA_CHAOS_SEED, or a fresh one (printed, so a run can be repeated). */
export const BASE_SEED = positiveEnv('LAMBDATA_CHAOS_SEED', Math.floor(Math.random() * 2 ** 31));

/** Fails early, with the fix, when `dist/` is missing. */
export function requireBuild(): void {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
}

/**
 * A fresh data dir under test-artifacts/ (handlers see a private /tmp, so nothing of ours lives there);
 * `remove()` deletes it and its engine's stderr log.
 */
export function dataDir(label: string): { path: string; remove(): void } {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = mkdtempSync(join(ARTIFACTS, `${label}-`));
  return {
    path,
    remove() {
      rmSync(path, { recursive: true, force: true });
      rmSync(`${path}.serve.log`, { force: true });
    },
  };
}

/** A small seeded PRNG (mulberry32): `next()` in [0, 1). */
export function rng(seed: number): { next(): number; int(min: number, max: number): number } {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return { next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}

/**
 * Starts `node bin/lambdata.js serve --port 0 --data-dir <dir>` and resolves once it prints its URL.
 * Its stderr goes to `<dir>.serve.log` for post-mortems.
 */
export function startServe(dir: string): Promise<Serve> {
  const log = `${dir}.serve.log`;
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dir], {
    env: { PATH: process.env.PATH ?? '', HOME: dir, LAMBDATA_LOG: process.env.LAMBDATA_LOG ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      writeFileSync(log, Buffer.concat(chunks), { flag: 'a' });
      resolve();
    }),
  );
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
    lines.on('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m?.[1]) resolve({ child, url: m[1], exited });
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`lambdata serve exited before listening (${code ?? signal}); see ${log}`)),
    );
  });
}

/** Sends SIGKILL to the engine; resolves with how many of its child processes outlived it by 2 s. */
export async function killHard(serve: Serve): Promise<number> {
  const pid = serve.child.pid;
  const descendants = pid === undefined ? [] : descendantsOf(pid);
  serve.child.kill('SIGKILL');
  await serve.exited;
  await sleep(2_000);
  const orphans = descendants.filter(alive);
  // Do not let a leftover slow down the next round; the count above is what gets reported.
  for (const orphan of orphans) {
    try {
      process.kill(orphan, 'SIGKILL');
    } catch (err) {
      // It exited between the check and the kill: still counted, since it outlived serve by 2 s.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
  return orphans.length;
}

/** Stops the engine the way Ctrl-C does (SIGTERM) and waits for it to exit. */
export async function stopServe(serve: Serve): Promise<void> {
  if (serve.child.exitCode !== null || serve.child.signalCode !== null) return;
  serve.child.kill('SIGTERM');
  const timer = setTimeout(() => serve.child.kill('SIGKILL'), 15_000);
  try {
    await serve.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes; resolves with the last answer. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Prints one scenario's rounds as a table (and appends them to test-artifacts/chaos/results.jsonl). */
export function report(rows: Tally[]): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const row of rows)
    writeFileSync(RESULTS, `${JSON.stringify({ at: new Date().toISOString(), ...row })}\n`, { flag: 'a' });
  const columns = [
    'round',
    'seed',
    'killAtMs',
    'acknowledged',
    'survived',
    'lost',
    'duplicates',
    'torn',
    'orphans',
    'note',
  ] as const;
  const total: Record<string, string | number> = { round: 'total', seed: '', killAtMs: '', note: '' };
  for (const key of ['acknowledged', 'survived', 'lost', 'duplicates', 'torn', 'orphans'] as const) {
    total[key] = rows.reduce((sum, row) => sum + row[key], 0);
  }
  const cells = [...rows, total].map((row) => columns.map((c) => String((row as Record<string, unknown>)[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) => `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const text = [
    `\nchaos: ${rows[0]?.scenario ?? ''} (LAMBDATA_CHAOS_SEED=${BASE_SEED} LAMBDATA_CHAOS_ROUNDS=${ROUNDS})`,
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
    '',
  ].join('\n');
  process.stdout.write(`${text}\n`);
}

/** The distinct error messages among the function's recent invocations, with their counts. */
export async function invocationErrors(url: string, name: string): Promise<string> {
  const out = (await (await fetch(`${url}/_lambdata/invocations?function=${name}`)).json()) as {
    invocations: Array<{ errorMessage?: string | null }>;
  };
  const counts = new Map<string, number>();
  for (const { errorMessage } of out.invocations) {
    if (errorMessage) counts.set(errorMessage, (counts.get(errorMessage) ?? 0) + 1);
  }
  return [...counts].map(([message, n]) => `${n}× ${message}`).join(', ') || 'none';
}

function positiveEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${text}`);
  return n;
}

/** Every process below `pid`, read from /proc (Linux). */
function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** True while `pid` runs (a zombie waiting for a reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Runs ROUNDS rounds of a scenario one after another, then prints and checks their tallies. */
export async function runRounds<T extends { tally: Tally }>(runRound: (round: number) => Promise<T>): Promise<T[]> {
  requireBuild();
  const rounds: T[] = [];
  for (let round = 1; round <= ROUNDS; round++) rounds.push(await runRound(round));
  const rows = rounds.map((r) => r.tally);
  report(rows);
  expect(rows.map((r) => r.lost)).toEqual(rows.map(() => 0));
  expect(rows.map((r) => r.torn)).toEqual(rows.map(() => 0));
  return rounds;
}

/** How a round begins: its seed and random source, the moment to kill, a fresh data dir and a serve on it. */
export interface RoundStart {
  seed: number;
  random: ReturnType<typeof rng>;
  killAtMs: number;
  dir: ReturnType<typeof dataDir>;
  serve: Serve;
}

/**
 * Starts round `round` of a scenario: seeds are BASE_SEED + `seedOffset` + round (scenarios use
 * different offsets), and the kill falls at a seeded moment inside `killWindowMs`.
 */
export async function startRound(
  label: string,
  seedOffset: number,
  round: number,
  killWindowMs: [number, number],
): Promise<RoundStart> {
  const seed = BASE_SEED + seedOffset + round;
  const random = rng(seed);
  const killAtMs = random.int(...killWindowMs);
  const dir = dataDir(label);
  return { seed, random, killAtMs, dir, serve: await startServe(dir.path) };
}
