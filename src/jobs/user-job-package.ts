/**
 * Packages a user's job module as ordinary functions, each one bundled index.mjs in a zip
 * (functions/lib/user-job.ts wraps the module). A module exporting map (and optionally combine and
 * reduce) is one job: a mapper and a reducer. A module exporting `stages`, a list of such objects,
 * is a pipeline: a mapper and a reducer per stage. `lambdata run ./myjob.ts …` deploys them and
 * runs the job (or pipeline) with a shuffle.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { zipSync } from 'fflate';
import { InvalidParameterValue } from '../shared/errors.js';
import { FUNCTIONS_DIR } from './builtins.js';

/** The packages of one job (or one pipeline stage), with the function names to deploy them under. */
export interface UserJobPackage {
  mapperName: string;
  reducerName: string;
  mapperZip: Buffer;
  reducerZip: Buffer;
}

/** A user job module's packages: one for a job, one per stage (in order) for a pipeline. */
export interface UserJobPackages {
  pipeline: boolean;
  stages: UserJobPackage[];
}

/**
 * Bundles `modulePath` into a mapper and a reducer package, or one pair per stage of a pipeline.
 * @throws InvalidParameterValue when the module does not bundle, or its `stages` is not a non-empty list.
 */
export async function packageUserJob(modulePath: string): Promise<UserJobPackages> {
  const path = resolve(modulePath);
  const base = basename(path)
    .replace(/\.[cm]?[jt]s$/, '')
    .replace(/[^A-Za-z0-9-_]/g, '-');
  const stages = await stageCount(path);
  if (stages === 0) return { pipeline: false, stages: [await packageStage(path, 'job', `job-${base}`)] };
  const packages: UserJobPackage[] = [];
  for (let i = 0; i < stages; i++) packages.push(await packageStage(path, `job.stages[${i}]`, `job-${base}-s${i + 1}`));
  return { pipeline: true, stages: packages };
}

async function packageStage(path: string, job: string, name: string): Promise<UserJobPackage> {
  const [mapperCode, reducerCode] = await Promise.all([
    bundle(path, `export const handler = mapperFor(${job});`),
    bundle(path, `export const handler = reducerFor(${job});`),
  ]);
  const tag = createHash('sha256').update(mapperCode).update(reducerCode).digest('hex').slice(0, 8);
  return {
    mapperName: `${name}-map`,
    reducerName: `${name}-reduce`,
    mapperZip: Buffer.from(zipSync({ 'index.mjs': Buffer.from(mapperCode), [`.job-${tag}`]: new Uint8Array(0) })),
    reducerZip: Buffer.from(zipSync({ 'index.mjs': Buffer.from(reducerCode), [`.job-${tag}`]: new Uint8Array(0) })),
  };
}

/**
 * How many stages the module's `stages` export lists (0 when it has none): the module is bundled
 * and loaded here, as the user's own code on the user's own machine.
 * @throws InvalidParameterValue when `stages` is not a non-empty list of objects with a map function.
 */
async function stageCount(path: string): Promise<number> {
  const code = await bundle(
    path,
    'const s = job.stages; export const count = s === undefined ? 0 : Array.isArray(s) && s.length > 0 && s.every((x) => typeof x?.map === "function") ? s.length : -1;',
    false,
  );
  const dir = await mkdtemp(join(tmpdir(), 'lambdata-job-'));
  try {
    const file = join(dir, 'probe.mjs');
    await writeFile(file, code);
    const { count } = (await import(pathToFileURL(file).href)) as { count: number };
    if (count < 0)
      throw new InvalidParameterValue(`${path}: stages must be a non-empty list of { map, combine?, reduce? } objects`);
    return count;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Bundles the module with `body` after it (`job` is the module; `wraps`: the body uses mapperFor/reducerFor). */
function bundle(path: string, body: string, wraps = true): Promise<string> {
  const lib = join(FUNCTIONS_DIR, 'lib', 'user-job.ts');
  const contents = `import * as job from ${JSON.stringify(path)};\n${wraps ? `import { mapperFor, reducerFor } from ${JSON.stringify(lib)};\n` : ''}${body}\n`;
  return bundleEntry(contents, dirname(path), path);
}

/**
 * Bundles a TypeScript entry (its imports resolved from `resolveDir`) into one ES module for Node 20
 * that can also `require`. @throws InvalidParameterValue naming `what` with esbuild's messages.
 */
export async function bundleEntry(contents: string, resolveDir: string, what: string): Promise<string> {
  try {
    const result = await build({
      stdin: { contents, resolveDir, loader: 'ts', sourcefile: 'entry.ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      banner: {
        js: "import { createRequire as __lambdataRequire } from 'node:module'; const require = __lambdataRequire(import.meta.url);",
      },
    });
    return result.outputFiles[0]?.text ?? '';
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string }> }).errors ?? [];
    throw new InvalidParameterValue(
      `cannot bundle ${what}: ${errors.map((e) => e.text).join('; ') || (err as Error).message}`,
      { cause: err },
    );
  }
}
