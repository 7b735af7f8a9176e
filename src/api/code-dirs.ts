/**
 * Which server directories a native deploy may name as `code: { dir }`. A caller who could name any
 * directory could have the server package (and hand back) whatever it can read, so only the
 * operator's `--allow-code-dir` directories are accepted, after resolving symlinks and `..`.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { AccessDenied } from '../shared/errors.js';

/** The directories deployable in place; none by default. */
export class CodeDirs {
  readonly #roots: string[];

  /** @throws Error naming `--allow-code-dir` when an allowed directory does not exist. */
  constructor(allowed: readonly string[] = []) {
    this.#roots = allowed.map((dir) => {
      try {
        return realpathSync(resolve(dir));
      } catch (err) {
        throw new Error(`--allow-code-dir: ${dir} is not a readable directory`, { cause: err });
      }
    });
  }

  /**
   * The real path of `dir` when it lies inside an allowed directory.
   * @throws AccessDenied (403) otherwise, telling the caller to upload a zip instead.
   */
  check(dir: string): string {
    let real: string | undefined;
    try {
      real = isAbsolute(dir) ? realpathSync(dir) : undefined;
    } catch {
      // A directory that does not exist is refused like one outside the allowed set.
      real = undefined;
    }
    if (real !== undefined && this.#roots.some((root) => inside(real, root))) return real;
    throw new AccessDenied(
      `Deploying from a directory on the server (code.dir ${dir}) is not allowed: upload the code as a zip ` +
        '(code.zipBase64; `lambdata deploy NAME ./dir` zips it for you), or start lambdata serve with --allow-code-dir DIR',
    );
  }
}

function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
