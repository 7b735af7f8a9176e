/**
 * Per-attempt secrets for live progress. Every function holds the engine's credentials, so a signed
 * request alone cannot tell the mapper running an attempt from any other function: each attempt gets
 * a random secret in its payload, a progress report must carry it, and the secret dies with the
 * attempt (committed, retried, superseded or its run over). A map attempt's secret also names what
 * it may be granted for short-circuit local reads: its function and the objects of its splits.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const SECRET_BYTES = 24;

/** What the holder of a map attempt's secret may read as local files. */
export interface AttemptReads {
  functionName: string;
  objects: Array<{ bucket: string; key: string }>;
}

interface Issued {
  digest: Buffer;
  reads?: AttemptReads;
}

/** The live secrets of running attempts, keyed by run id, task id and attempt number. */
export class AttemptSecrets {
  /** run id → "task\0attempt" → SHA-256 of the secret (fixed length for the constant-time compare). */
  readonly #byRun = new Map<string, Map<string, Issued>>();

  /** Issues the secret of a new attempt (replacing any earlier one of the same attempt). */
  issue(runId: string, taskId: string, attempt: number, reads?: AttemptReads): string {
    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    let run = this.#byRun.get(runId);
    if (!run) {
      run = new Map();
      this.#byRun.set(runId, run);
    }
    run.set(slot(taskId, attempt), reads ? { digest: digest(secret), reads } : { digest: digest(secret) });
    return secret;
  }

  /** True when `secret` is the live secret of that attempt (compared in constant time). */
  matches(runId: string, taskId: string, attempt: number, secret: unknown): boolean {
    return this.#holder(runId, taskId, attempt, secret) !== undefined;
  }

  /** What the attempt may read as local files, when `secret` is its live secret and it may read any. */
  readsOf(runId: string, taskId: string, attempt: number, secret: unknown): AttemptReads | undefined {
    return this.#holder(runId, taskId, attempt, secret)?.reads;
  }

  #holder(runId: string, taskId: string, attempt: number, secret: unknown): Issued | undefined {
    const expected = this.#byRun.get(runId)?.get(slot(taskId, attempt));
    // A missing secret is still hashed and compared, so a refusal takes the same time either way.
    const given = digest(typeof secret === 'string' ? secret : '');
    const same = timingSafeEqual(given, expected?.digest ?? randomBytes(given.length));
    return same ? expected : undefined;
  }

  /** Expires one attempt's secret. */
  revoke(runId: string, taskId: string, attempt: number): void {
    const run = this.#byRun.get(runId);
    run?.delete(slot(taskId, attempt));
    if (run?.size === 0) this.#byRun.delete(runId);
  }

  /** Expires the secrets of every attempt of a task. */
  revokeTask(runId: string, taskId: string): void {
    const run = this.#byRun.get(runId);
    if (!run) return;
    const prefix = `${taskId}\u0000`;
    for (const key of run.keys()) if (key.startsWith(prefix)) run.delete(key);
    if (run.size === 0) this.#byRun.delete(runId);
  }

  /** Expires every secret of a run (the run is over). */
  revokeRun(runId: string): void {
    this.#byRun.delete(runId);
  }
}

function slot(taskId: string, attempt: number): string {
  return `${taskId}\u0000${attempt}`;
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
