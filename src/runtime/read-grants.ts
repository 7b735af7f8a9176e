/**
 * Short-circuit local reads: read-only access for one invocation to exactly the files it was granted.
 *
 * At a namespace level each environment's sandbox has a host directory of its own bind-mounted
 * read-only at INSIDE.grants (`/var/grants`), empty unless an invocation holds grants. A grant hard-
 * links a file (an object body of the store, which is never written in place) into a subdirectory
 * of the invocation's, under a fresh name, and answers the path as the environment sees it. When the
 * invocation ends, before the environment runs anything else, that subdirectory is renamed out of
 * the environment's directory (one system call, however many links: a job over 4,000 small objects
 * unlinked each on the event loop), and the links are removed from there in the background. A hard
 * link needs the same file system as the store's bodies, so the directories live under the data dir;
 * a link the kernel refuses (another file system, a vanished file) is answered as null and the
 * reader falls back to S3.
 */
import { linkSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Where an environment sees its granted files. */
export const GRANTS_INSIDE = '/var/grants';

/** The grant directories of one engine's environments, one per environment id. */
export class ReadGrants {
  readonly #root: string;
  /** envId → names handed out so far (names are never reused within an environment's life). */
  readonly #issued = new Map<string, number>();
  /** Environments holding links now, with the name of the subdirectory holding them. */
  readonly #held = new Map<string, string>();
  /** Where revoked subdirectories go until they are removed: outside every environment's directory. */
  readonly #revoked: string;
  #revocations = 0;
  /** Whether #revoked has been made since the root was last removed (made on first use, not per revoke). */
  #revokedMade = false;

  constructor(dataDir: string) {
    this.#root = join(dataDir, 'tmp', 'grants');
    this.#revoked = join(this.#root, '.revoked');
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
    let sub = this.#held.get(envId);
    if (sub === undefined) {
      // Named like the links: never reused within the environment's life either.
      sub = String(next++);
      mkdirSync(join(this.#dirOf(envId), sub), { mode: 0o755 });
      this.#held.set(envId, sub);
    }
    const dir = join(this.#dirOf(envId), sub);
    const granted = files.map((file) => {
      const name = String(next++);
      try {
        linkSync(file, join(dir, name));
        return `${GRANTS_INSIDE}/${sub}/${name}`;
      } catch {
        // EXDEV (another file system) or ENOENT (overwritten since): the caller reads over S3 instead.
        return null;
      }
    });
    this.#issued.set(envId, next);
    return granted;
  }

  /** True while the environment's running invocation holds grants. */
  holds(envId: string): boolean {
    return this.#held.has(envId);
  }

  /**
   * Takes back every grant of the environment (its invocation ended): once this returns, the
   * environment cannot open any of them; the links themselves are removed in the background.
   */
  revoke(envId: string): void {
    const sub = this.#held.get(envId);
    if (sub === undefined) return;
    this.#held.delete(envId);
    if (!this.#revokedMade) {
      mkdirSync(this.#revoked, { recursive: true, mode: 0o700 });
      this.#revokedMade = true;
    }
    const away = join(this.#revoked, `${this.#revocations++}`);
    renameSync(join(this.#dirOf(envId), sub), away);
    void rm(away, { recursive: true, force: true }).catch(() => {
      // Left for the next start, which removes the whole grants directory.
    });
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
    this.#revokedMade = false;
    rmSync(this.#root, { recursive: true, force: true });
  }

  #dirOf(envId: string): string {
    return join(this.#root, envId);
  }
}
