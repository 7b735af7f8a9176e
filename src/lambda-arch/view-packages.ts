/**
 * Bundles a view (built-in id or user module) with esbuild, as handlers and user jobs are: into the
 * batch job's mapper and reducer (ordinary functions, run sandboxed like any other), and, for user
 * modules, into one module file under the data dir that the engine loads for the speed and serving
 * layers.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { zipSync } from 'fflate';
import { bundleEntry, FUNCTIONS_DIR } from '../jobs/index.js';
import { InvalidParameterValue } from '../shared/errors.js';
import { BUILTIN_VIEWS } from './builtin-views.js';
import type { ViewSource } from './types.js';
import { resolveView, type ViewModule } from './view-module.js';

/** The mapper and reducer packages of a view. */
export interface ViewPackages {
  mapperZip: Buffer;
  reducerZip: Buffer;
}

const BUILTINS_MODULE = fileURLToPath(new URL('./builtin-views.js', import.meta.url)).replace(/\.js$/, '');

/** Bundles the batch functions of a view. @throws InvalidParameterValue when the module does not bundle. */
export async function packageView(source: ViewSource): Promise<ViewPackages> {
  const [mapper, reducer] = await Promise.all([
    bundleHandler(source, 'viewMapper'),
    bundleHandler(source, 'viewReducer'),
  ]);
  const tag = createHash('sha256').update(mapper).update(reducer).digest('hex').slice(0, 8);
  return {
    mapperZip: Buffer.from(zipSync({ 'index.mjs': Buffer.from(mapper), [`.view-${tag}`]: new Uint8Array(0) })),
    reducerZip: Buffer.from(zipSync({ 'index.mjs': Buffer.from(reducer), [`.view-${tag}`]: new Uint8Array(0) })),
  };
}

/**
 * Bundles a user's view module into `dir` (content-addressed) and returns the file's path.
 * @throws InvalidParameterValue when it does not bundle.
 */
export async function bundleViewModule(modulePath: string, dir: string): Promise<string> {
  const code = await bundleEntry(
    `export * from ${JSON.stringify(resolve(modulePath))};`,
    dirname(resolve(modulePath)),
    `view ${modulePath}`,
  );
  const file = join(dir, `view-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${file}.tmp`, code);
  renameSync(`${file}.tmp`, file);
  return file;
}

/**
 * Loads a view's module in the engine: a built-in by id, or a bundled user module.
 * @throws InvalidParameterValue for an unknown built-in or a module that is not a view
 */
export async function loadViewModule(source: ViewSource, bundle?: string): Promise<ViewModule> {
  let module: Partial<ViewModule> | undefined;
  if ('builtin' in source) {
    module = BUILTIN_VIEWS[source.builtin];
    if (!module)
      throw new InvalidParameterValue(
        `unknown built-in view ${source.builtin} (use ${Object.keys(BUILTIN_VIEWS).join(', ')})`,
      );
  } else {
    if (!bundle) throw new InvalidParameterValue('a user view needs its bundled module');
    const loaded = (await import(pathToFileURL(bundle).href)) as Partial<ViewModule> & {
      default?: Partial<ViewModule>;
    };
    module = loaded.default && typeof loaded.default === 'object' ? loaded.default : loaded;
  }
  try {
    resolveView(module);
  } catch (err) {
    throw new InvalidParameterValue((err as Error).message, { cause: err });
  }
  return module as ViewModule;
}

async function bundleHandler(source: ViewSource, wrapper: 'viewMapper' | 'viewReducer'): Promise<string> {
  const lib = join(FUNCTIONS_DIR, 'lib', 'view-job.ts');
  const load =
    'builtin' in source
      ? `import { BUILTIN_VIEWS } from ${JSON.stringify(BUILTINS_MODULE)};\nconst view = BUILTIN_VIEWS[${JSON.stringify(source.builtin)}];\n`
      : `import * as loaded from ${JSON.stringify(resolve(source.code))};\nconst view = loaded.default && typeof loaded.default === 'object' ? loaded.default : loaded;\n`;
  const dir = 'builtin' in source ? dirname(BUILTINS_MODULE) : dirname(resolve(source.code));
  return bundleEntry(
    `${load}import { ${wrapper} } from ${JSON.stringify(lib)};\nexport const handler = ${wrapper}(view);\n`,
    dir,
    `view ${'builtin' in source ? source.builtin : source.code}`,
  );
}
