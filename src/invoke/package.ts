import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build } from 'esbuild';
import { InvalidParameterValue, RequestTooLarge } from '../shared/errors.js';
import { PACKAGE_LIMITS } from './limits.js';
import { unzipInto, unzipOffLoop } from './unzip.js';

/** Code of a function: a .zip package or a directory on this machine. */
export type FunctionCode = { zip: Buffer } | { dir: string };

/** A package unpacked (and bundled, for TypeScript handlers) under the data dir. */
export interface StoredPackage {
  codeSha256: string; // base64 sha256, as AWS reports it
  codeSize: number;
  /** Directory name under `<dataDir>/functions/<name>/`. */
  key: string;
  codeDir: string;
}

const SOURCE_EXTENSIONS = ['.js', '.mjs', '.cjs'];
const TS_EXTENSIONS = ['.ts', '.mts', '.cts'];

/**
 * Unpacks a package into `<root>/<key>` (written to a temp dir, then renamed), bundling a TypeScript
 * handler with esbuild. Throws RequestTooLargeException over 50 MB zipped, InvalidParameterValueException
 * over 250 MB unpacked, for entries escaping the package, or when the zip or TypeScript is broken.
 */
export async function storePackage(
  root: string,
  code: FunctionCode,
  handler: string,
  limits = PACKAGE_LIMITS,
): Promise<StoredPackage> {
  mkdirSync(root, { recursive: true });
  const tmp = join(root, `.tmp-${randomBytes(6).toString('hex')}`);
  mkdirSync(tmp);
  try {
    let codeSha256: string;
    let codeSize: number;
    if ('zip' in code) {
      if (code.zip.length > limits.zippedBytes) {
        throw new RequestTooLarge(`ZipFile: ${code.zip.length} bytes exceeds the ${limits.zippedBytes}-byte limit`);
      }
      // A big package's inflate would hold the event loop (1.2 s for a 250-module package on a loaded
      // machine): every other request waited. It runs on a worker thread instead.
      if (code.zip.length >= limits.offLoopZippedBytes) await unzipOffLoop(code.zip, tmp, limits.unzippedBytes);
      else unzipInto(code.zip, tmp, limits.unzippedBytes);
      codeSha256 = createHash('sha256').update(code.zip).digest('base64');
      codeSize = code.zip.length;
    } else {
      ({ codeSha256, codeSize } = copyDirInto(code.dir, tmp, limits.unzippedBytes));
    }
    const bundled = await bundleTypeScript(tmp, handler);
    makeReadable(tmp);
    const hex = Buffer.from(codeSha256, 'base64').toString('hex');
    const key = bundled ? `${hex}-${shortHash(handler)}` : hex;
    const codeDir = join(root, key);
    if (existsSync(codeDir)) rmSync(tmp, { recursive: true, force: true });
    else renameSync(tmp, codeDir);
    return { codeSha256, codeSize, key, codeDir };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Lets every user read the package (directories also searchable): an environment runs as its
 * function's own unprivileged user, and a file kept 0600 by the uploader's umask would not load.
 */
function makeReadable(dir: string): void {
  chmodSync(dir, statSync(dir).mode | 0o555);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) makeReadable(path);
    else if (entry.isFile()) chmodSync(path, statSync(path).mode | 0o444);
  }
}

/** Copies a directory's regular files; the sha is over sorted relative paths and contents. */
function copyDirInto(source: string, target: string, maxBytes: number): { codeSha256: string; codeSize: number } {
  const root = resolve(source);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new InvalidParameterValue(`Code: '${source}' is not a directory`);
  }
  const files = listFiles(root).sort();
  const hash = createHash('sha256');
  let size = 0;
  for (const file of files) {
    size += statSync(join(root, file)).size;
    if (size > maxBytes) throw new InvalidParameterValue(`Code: unzipped size must be smaller than ${maxBytes} bytes`);
  }
  for (const file of files) {
    const from = join(root, file);
    const to = join(target, file);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
    hash.update(file.split(sep).join('/')).update('\0').update(readFileSync(from)).update('\0');
  }
  return { codeSha256: hash.digest('base64'), codeSize: size };
}

function listFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(root, path));
    else if (entry.isFile()) out.push(relative(root, path));
  }
  return out;
}

/**
 * When the handler's module exists only as TypeScript, bundles it with esbuild into `<module>.mjs`
 * beside it (ESM, node20, with a source map). Returns whether it bundled.
 */
async function bundleTypeScript(dir: string, handler: string): Promise<boolean> {
  const modulePath = handler.slice(0, handler.lastIndexOf('.'));
  if (SOURCE_EXTENSIONS.some((ext) => existsSync(join(dir, modulePath + ext)))) return false;
  const entry = TS_EXTENSIONS.map((ext) => join(dir, modulePath + ext)).find((path) => existsSync(path));
  if (!entry) return false;
  try {
    await build({
      entryPoints: [entry],
      outfile: join(dir, `${modulePath}.mjs`),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: true,
      logLevel: 'silent',
      // Bundled CommonJS dependencies may call require(); give ESM output one.
      banner: {
        js: "import { createRequire as __lambdataRequire } from 'node:module'; const require = __lambdataRequire(import.meta.url);",
      },
    });
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string }> }).errors ?? [];
    const detail = errors.map((e) => e.text).join('; ') || (err as Error).message;
    throw new InvalidParameterValue(
      `Handler: could not bundle ${modulePath}${entry.slice(entry.lastIndexOf('.'))}: ${detail}`,
      { cause: err },
    );
  }
  return true;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}
