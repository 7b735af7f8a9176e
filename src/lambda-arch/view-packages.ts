/**
 * Bundles a view (built-in id or user module) with esbuild, as handlers and user jobs are: into the
 * batch job's mapper and reducer and, for a user module, the speed layer's folder (ordinary
 * functions, run sandboxed like any other). The engine never imports a user's module.
 */
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { bundleEntry, FUNCTIONS_DIR } from '../jobs/index.js';
import { InvalidParameterValue } from '../shared/errors.js';
import { BUILTIN_VIEWS } from './builtin-views.js';
import type { ViewSource } from './types.js';
import type { ViewModule } from './view-module.js';

/** The function packages of a view (a speed folder only for user modules). */
export interface ViewPackages {
  mapperZip: Buffer;
  reducerZip: Buffer;
  speedZip?: Buffer;
}

const BUILTINS_MODULE = fileURLToPath(new URL('./builtin-views.js', import.meta.url)).replace(/\.js$/, '');

/** Bundles the batch functions of a view. @throws InvalidParameterValue when the module does not bundle. */
export async function packageView(source: ViewSource): Promise<ViewPackages> {
  const [mapper, reducer, speed] = await Promise.all([
    bundleHandler(source, 'viewMapper'),
    bundleHandler(source, 'viewReducer'),
    'code' in source ? bundleHandler(source, 'viewSpeed') : undefined,
  ]);
  const tag = createHash('sha256')
    .update(mapper)
    .update(reducer)
    .update(speed ?? '')
    .digest('hex')
    .slice(0, 8);
  const zip = (code: string) =>
    Buffer.from(zipSync({ 'index.mjs': Buffer.from(code), [`.view-${tag}`]: new Uint8Array(0) }));
  return { mapperZip: zip(mapper), reducerZip: zip(reducer), ...(speed ? { speedZip: zip(speed) } : {}) };
}

/**
 * A built-in view's module (trusted engine code, run in the engine's process).
 * @throws InvalidParameterValue for an unknown id
 */
export function builtinView(id: string): ViewModule {
  const module = BUILTIN_VIEWS[id];
  if (!module)
    throw new InvalidParameterValue(`unknown built-in view ${id} (use ${Object.keys(BUILTIN_VIEWS).join(', ')})`);
  return module as ViewModule;
}

async function bundleHandler(source: ViewSource, wrapper: 'viewMapper' | 'viewReducer' | 'viewSpeed'): Promise<string> {
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
