/**
 * Auto-deploy of the built-in functions (functions/<name>/index.ts of this package) when a job
 * needs them: deployed if missing, redeployed when the source on disk changed (a content hash of
 * the function's folder and functions/lib, remembered in SQLite).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Db, migrate } from '../state/index.js';

/** Names of the built-in functions shipped in functions/. */
export const BUILTIN_FUNCTIONS = ['wordcount', 'wordfreq', 'grep', 'cascade', 'reducer', 'collector'] as const;
export type BuiltinName = (typeof BUILTIN_FUNCTIONS)[number];

/** The package's functions/ folder (from src/jobs or dist/jobs alike). */
export const FUNCTIONS_DIR = fileURLToPath(new URL('../../functions/', import.meta.url));

/** The part of the function registry auto-deploy uses. */
export interface DeployTarget {
  has(name: string): boolean | Promise<boolean>;
  create(spec: {
    name: string;
    handler: string;
    memoryMb?: number;
    timeoutS?: number;
    environment?: Record<string, string>;
    code: { dir: string };
  }): Promise<unknown>;
  updateCode(name: string, code: { dir: string }): Promise<unknown>;
}

const SETTINGS: Record<BuiltinName, { memoryMb: number; timeoutS: number }> = {
  wordcount: { memoryMb: 1024, timeoutS: 60 },
  wordfreq: { memoryMb: 1024, timeoutS: 60 },
  grep: { memoryMb: 1024, timeoutS: 60 },
  cascade: { memoryMb: 512, timeoutS: 900 },
  reducer: { memoryMb: 1024, timeoutS: 300 },
  // The tweet loader: a scheduled run produces for ~55 s of its minute.
  collector: { memoryMb: 256, timeoutS: 60 },
};

const SCHEMA = `CREATE TABLE IF NOT EXISTS job_builtins (name TEXT PRIMARY KEY, hash TEXT NOT NULL, deployed_at INTEGER NOT NULL);`;

/** True for the names of built-in functions. */
export function isBuiltin(name: string): name is BuiltinName {
  return (BUILTIN_FUNCTIONS as readonly string[]).includes(name);
}

/** Deploys built-ins on demand, once per content hash. */
export class Builtins {
  #db: Db;
  #dataDir: string;
  #target: DeployTarget;
  /** Rows of a remote target are kept under `<target>/<name>`; the local target's under the name alone. */
  #scope: string;
  #pending = new Map<string, Promise<void>>();

  constructor(db: Db, dataDir: string, target: DeployTarget, scope = '') {
    this.#db = db;
    this.#dataDir = dataDir;
    this.#target = target;
    this.#scope = scope ? `${scope}/` : '';
    migrate(db, SCHEMA);
  }

  /** Makes sure each named built-in is deployed and current; other names are left alone. */
  async ensure(names: string[]): Promise<void> {
    await Promise.all(names.filter(isBuiltin).map((name) => this.#ensureOne(name)));
  }

  #ensureOne(name: BuiltinName): Promise<void> {
    let pending = this.#pending.get(name);
    if (!pending) {
      pending = this.#deploy(name).finally(() => this.#pending.delete(name));
      this.#pending.set(name, pending);
    }
    return pending;
  }

  #bundle(name: BuiltinName, dir: string, hash: string): Promise<string> {
    return bundleBuiltin(this.#dataDir, name, dir, hash);
  }

  async #deploy(name: BuiltinName): Promise<void> {
    const dir = join(FUNCTIONS_DIR, name);
    const hash = sourceHash(dir);
    const row = this.#db.prepare('SELECT hash FROM job_builtins WHERE name = ?').get(this.#scope + name) as
      | { hash: string }
      | undefined;
    const exists = await this.#target.has(name);
    if (exists && row?.hash === hash) return;
    const bundle = await this.#bundle(name, dir, hash);
    if (exists) await this.#target.updateCode(name, { dir: bundle });
    else await this.#target.create({ name, handler: 'index.handler', ...SETTINGS[name], code: { dir: bundle } });
    this.#db
      .prepare('INSERT OR REPLACE INTO job_builtins (name, hash, deployed_at) VALUES (?, ?, ?)')
      .run(this.#scope + name, hash, Date.now());
  }
}

/** Bundles the function and what it imports (functions/lib, src/jobs, SDK pieces) into one index.mjs. */
async function bundleBuiltin(dataDir: string, name: string, dir: string, hash: string): Promise<string> {
  const out = join(dataDir, 'jobs', 'builtins', `${name}-${hash.slice(0, 16)}`);
  if (existsSync(join(out, 'index.mjs'))) return out;
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  // Bundles are content-addressed, so data dirs on one machine share them through a cache.
  const cached = join(tmpdir(), 'lambdata-builtins', `${name}-${hash.slice(0, 16)}.mjs`);
  if (existsSync(cached)) {
    copyFileSync(cached, join(tmp, 'index.mjs'));
    rmSync(out, { recursive: true, force: true });
    renameSync(tmp, out);
    return out;
  }
  await build({
    entryPoints: [join(dir, 'index.ts')],
    outfile: join(tmp, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The ES module builds of the SDK's signer and its helpers tree-shake; their CommonJS builds pull
    // all of @smithy/core in. Smaller bundles load faster, and that is most of a built-in's Init Duration.
    mainFields: ['module', 'main'],
    logLevel: 'silent',
    banner: {
      js: "import { createRequire as __lambdataRequire } from 'node:module'; const require = __lambdataRequire(import.meta.url);",
    },
  });
  mkdirSync(dirname(cached), { recursive: true });
  copyFileSync(join(tmp, 'index.mjs'), `${cached}.${process.pid}`);
  renameSync(`${cached}.${process.pid}`, cached);
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  return out;
}

/**
 * Hashes of built-in folders by the names, sizes and modification times of their files: every job
 * start asks for its functions' hashes, and reading and hashing ~90 source files took it 10-50 ms.
 */
const hashes = new Map<string, { stamp: string; hash: string }>();

/** The engine's source folders built-ins import from (functions/lib imports jobs/, shared/ and lambda-arch/). */
const ENGINE_SOURCES = ['jobs', 'shared', 'lambda-arch'].map((folder) =>
  fileURLToPath(new URL(`../../src/${folder}/`, import.meta.url)),
);

/** Hash of a built-in's folder, functions/lib and the engine's modules it bundles. */
export function sourceHash(dir: string): string {
  const files: Array<{ path: string; stamp: string }> = [];
  for (const root of [dir, join(FUNCTIONS_DIR, 'lib'), ...ENGINE_SOURCES]) {
    if (!existsSync(root)) continue;
    for (const file of listFiles(root)) if (!file.path.endsWith('.test.ts')) files.push(file);
  }
  const stamp = files.map((f) => f.stamp).join('\n');
  const known = hashes.get(dir);
  if (known?.stamp === stamp) return known.hash;
  const hash = createHash('sha256');
  for (const { path } of files) hash.update(path).update(readFileSync(path));
  const digest = hash.digest('hex');
  hashes.set(dir, { stamp, hash: digest });
  return digest;
}

/** The files under `root`, sorted, each with a stamp of its path, size and modification time. */
function listFiles(root: string): Array<{ path: string; stamp: string }> {
  const out: Array<{ path: string; stamp: string }> = [];
  for (const entry of readdirSync(root).sort()) {
    const path = join(root, entry);
    const stat = statSync(path);
    if (stat.isDirectory()) out.push(...listFiles(path));
    else out.push({ path, stamp: `${path}\0${stat.size}\0${stat.mtimeMs}` });
  }
  return out;
}
