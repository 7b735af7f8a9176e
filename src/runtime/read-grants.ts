/**
 * Short-circuit local reads: read-only access for one invocation to exactly the files it was granted.
 *
 * At a namespace level each environment's sandbox has a host directory of its own bind-mounted
 * read-only at INSIDE.grants (`/var/grants`), empty unless an invocation holds grants. A grant hard-
 * links a file (an object body of the store, which is never written in place) into that directory
 * under a fresh name and answers the name as the environment sees it; the links go when the
 * invocation ends, before the environment runs anything else. A hard link needs the same file system
 * as the store's bodies, so the directories live under the data dir; a link the kernel refuses
 * (another file system, a vanished file) is answered as null and the reader falls back to S3.
 */
import { linkSync, mkdirSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Where an environment sees its granted files. */
export const GRANTS_INSIDE = '/var/grants';

/** The grant directories of one engine's environments, one per environment id. */
export class ReadGrants {
  readonly #root: string;
  /** envId → names handed out so far (names are never reused within an environment's life). */
  readonly #issued = new Map<string, number>();
  /** Environments holding links now. */
  readonly #held = new Set<string>();

  constructor(dataDir: string) {
    this.#root = join(dataDir, 'tmp', 'grants');
    // Links left by an engine that was killed would keep deleted objects' bytes on disk: none is live now.
    rmSync(this.#root, { recursive: true, force: true });
  }

  /** Creates the (empty) grant directory of a new environment; answers its host path. */
  create(envId: string): string {
    const dir = this.#dirOf(envId);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    this.#issued.set(envId, 0);
    return dir;
  }

  /**
   * Links each of `files` (absolute host paths) into the environment's directory; answers each one's
   * path inside the sandbox, or null where the kernel refused the link.
   */
  grant(envId: string, files: string[]): Array<string | null> {
    const first = this.#issued.get(envId);
    if (first === undefined) return files.map(() => null);
    let next = first;
    const dir = this.#dirOf(envId);
    const granted = files.map((file) => {
      const name = String(next++);
      try {
        linkSync(file, join(dir, name));
        return `${GRANTS_INSIDE}/${name}`;
      } catch {
        // EXDEV (another file system) or ENOENT (overwritten since): the caller reads over S3 instead.
        return null;
      }
    });
    this.#issued.set(envId, next);
    this.#held.add(envId);
    return granted;
  }

  /** Takes back every grant of the environment (its invocation ended). */
  revoke(envId: string): void {
    if (!this.#held.delete(envId)) return;
    const dir = this.#dirOf(envId);
    for (const name of readdirSync(dir)) unlinkSync(join(dir, name));
  }

  /** Removes the directory of an environment whose processes are gone. */
  remove(envId: string): void {
    this.#held.delete(envId);
    if (!this.#issued.delete(envId)) return;
    rmSync(this.#dirOf(envId), { recursive: true, force: true });
  }

  /** Removes every grant directory (the engine is closing). */
  close(): void {
    this.#issued.clear();
    this.#held.clear();
    rmSync(this.#root, { recursive: true, force: true });
  }

  #dirOf(envId: string): string {
    return join(this.#root, envId);
  }
}
