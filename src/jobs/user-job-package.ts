/**
 * Packages a user's job module (exporting map, and optionally combine and reduce) as two ordinary
 * functions, a mapper and a reducer, each one bundled index.mjs in a zip (functions/lib/user-job.ts
 * wraps the module). `lambdata run ./myjob.ts …` deploys them and runs the job with a shuffle.
 */
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { zipSync } from 'fflate';
import { InvalidParameterValue } from '../shared/errors.js';
import { FUNCTIONS_DIR } from './builtins.js';

/** The two packages of a user job, with the function names to deploy them under. */
export interface UserJobPackages {
  mapperName: string;
  reducerName: string;
  mapperZip: Buffer;
  reducerZip: Buffer;
}

/**
 * Bundles `modulePath` into a mapper and a reducer package.
 * @throws InvalidParameterValue when the module does not bundle.
 */
export async function packageUserJob(modulePath: string): Promise<UserJobPackages> {
  const path = resolve(modulePath);
  const base = basename(path)
    .replace(/\.[cm]?[jt]s$/, '')
    .replace(/[^A-Za-z0-9-_]/g, '-');
  const [mapperCode, reducerCode] = await Promise.all([bundle(path, 'mapperFor'), bundle(path, 'reducerFor')]);
  const tag = createHash('sha256').update(mapperCode).update(reducerCode).digest('hex').slice(0, 8);
  return {
    mapperName: `job-${base}-map`,
    reducerName: `job-${base}-reduce`,
    mapperZip: Buffer.from(zipSync({ 'index.mjs': Buffer.from(mapperCode), [`.job-${tag}`]: new Uint8Array(0) })),
    reducerZip: Buffer.from(zipSync({ 'index.mjs': Buffer.from(reducerCode), [`.job-${tag}`]: new Uint8Array(0) })),
  };
}

async function bundle(path: string, wrapper: 'mapperFor' | 'reducerFor'): Promise<string> {
  const lib = join(FUNCTIONS_DIR, 'lib', 'user-job.ts');
  try {
    const result = await build({
      stdin: {
        contents: `import * as job from ${JSON.stringify(path)};\nimport { ${wrapper} } from ${JSON.stringify(lib)};\nexport const handler = ${wrapper}(job);\n`,
        resolveDir: dirname(path),
        loader: 'ts',
        sourcefile: `${wrapper}.ts`,
      },
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
      `cannot bundle ${path}: ${errors.map((e) => e.text).join('; ') || (err as Error).message}`,
      { cause: err },
    );
  }
}
