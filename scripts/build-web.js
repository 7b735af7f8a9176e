// Bundles the dashboard (src/web) into dist/web/dashboard.js with esbuild; no CDN at run time.
// (src/web is browser code: tsconfig.build.json excludes it, so tsc never writes into dist/web.)
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const entry = 'src/web/app.ts';
mkdirSync('dist/web', { recursive: true });
if (existsSync(entry)) {
  await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    outfile: 'dist/web/dashboard.js',
    logLevel: 'warning',
  });
}
if (existsSync('src/web/public')) cpSync('src/web/public', 'dist/web', { recursive: true });
