// `npm start` builds only when it must: when dist/ is missing or any build input (TypeScript sources,
// the dashboard's files, the build configuration, the lockfile) is newer than the build's outputs.
// A cheap mtime walk: a built checkout starts in a few seconds instead of rebuilding every time.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the build reads (directories are walked; unit tests beside the sources are not built). */
const INPUTS = [
  'src',
  'tsconfig.json',
  'tsconfig.build.json',
  'scripts/build-web.js',
  'scripts/build-runtimes.js',
  'scripts/build-java.js',
  'package-lock.json',
];
/** What every build writes (tsc rewrites all of dist/, the web bundle is rewritten whole). */
const OUTPUTS = ['dist/engine.js', 'dist/cli/main.js', 'dist/web/dashboard.js', 'dist/web/index.html'];

/** The build inputs under `root` newer than its oldest output (every input when an output is missing). */
export function staleInputs(root) {
  let built = Number.POSITIVE_INFINITY;
  for (const output of OUTPUTS) {
    const at = mtime(join(root, output));
    if (at === undefined) return ['dist (not built)'];
    built = Math.min(built, at);
  }
  const newer = [];
  const visit = (path) => {
    const stat = statOrUndefined(path);
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else if (stat.mtimeMs > built && !path.endsWith('.test.ts')) newer.push(relative(root, path));
  };
  for (const input of INPUTS) visit(join(root, input));
  return newer;
}

function mtime(path) {
  return statOrUndefined(path)?.mtimeMs;
}

function statOrUndefined(path) {
  try {
    return statSync(path);
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const stale = staleInputs(root);
  if (stale.length === 0) {
    console.error('dist/ is up to date with the sources: not rebuilding (npm run build forces a build)');
  } else {
    console.error(
      `building: ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ` and ${stale.length - 3} more` : ''} changed`,
    );
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    process.exitCode = build.status ?? 1;
  }
}
