import { Worker } from 'node:worker_threads';
import { createLogger } from '../../shared/log.js';

/**
 * MD5 (the ETag) of large bodies, computed on a worker thread so the event loop keeps receiving and
 * writing while the digest runs on another core. One worker is shared by the process, started on first
 * use and referenced only while a hash is in progress, so it never keeps a process alive.
 */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  try {
    if (m.op === 'update') {
      let hash = hashes.get(m.id);
      if (!hash) hashes.set(m.id, (hash = createHash('md5')));
      hash.update(new Uint8Array(m.data));
      parentPort.postMessage({ id: m.id, seq: m.seq });
    } else if (m.op === 'digest') {
      const hash = hashes.get(m.id) || createHash('md5');
      hashes.delete(m.id);
      parentPort.postMessage({ id: m.id, seq: m.seq, digest: hash.digest('hex') });
    } else if (m.op === 'drop') {
      hashes.delete(m.id);
    }
  } catch (err) {
    parentPort.postMessage({ id: m.id, seq: m.seq, error: String(err && err.message || err) });
  }
});`;

interface Reply {
  id: number;
  seq: number;
  digest?: string;
  error?: string;
}

const log = createLogger('objects');
let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<string, { resolve: (reply: Reply) => void; reject: (err: Error) => void }>();

function shared(): Worker {
  if (worker) return worker;
  const started = new Worker(SOURCE, { eval: true });
  started.unref();
  started.on('message', (reply: Reply) => {
    const key = `${reply.id}:${reply.seq}`;
    const pending = waiting.get(key);
    waiting.delete(key);
    if (waiting.size === 0) started.unref();
    if (reply.error) pending?.reject(new Error(`md5 worker: ${reply.error}`));
    else pending?.resolve(reply);
  });
  started.on('error', (err) => failAll(started, err));
  started.on('exit', (code) => failAll(started, new Error(`md5 worker exited with code ${code}`)));
  worker = started;
  return started;
}

function failAll(dead: Worker, err: Error): void {
  if (worker !== dead) return;
  worker = undefined;
  log.warn('md5 worker stopped; the next large write starts a new one', { err });
  for (const pending of waiting.values()) pending.reject(err);
  waiting.clear();
}

/** An MD5 whose updates run on the shared worker thread, in order. */
export class OffThreadMd5 {
  readonly #id = nextId++;
  readonly #worker = shared();
  #seq = 0;
  #done = false;

  /** Hands `chunks` (copied into one transferred buffer) to the worker; resolves once hashed. */
  update(chunks: Buffer[]): Promise<void> {
    let total = 0;
    for (const chunk of chunks) total += chunk.length;
    const data = Buffer.allocUnsafeSlow(total);
    let at = 0;
    for (const chunk of chunks) at += chunk.copy(data, at);
    const reply = this.#expect();
    this.#worker.postMessage({ op: 'update', id: this.#id, seq: this.#seq, data: data.buffer }, [data.buffer]);
    return reply.then(() => undefined);
  }

  /** The digest of everything updated so far; the hash is finished after this. */
  async digest(): Promise<Buffer> {
    this.#done = true;
    const reply = this.#expect();
    this.#worker.postMessage({ op: 'digest', id: this.#id, seq: this.#seq });
    return Buffer.from((await reply).digest ?? '', 'hex');
  }

  /** Forgets an unfinished hash (a failed write). */
  drop(): void {
    if (this.#done) return;
    this.#done = true;
    this.#worker.postMessage({ op: 'drop', id: this.#id });
  }

  #expect(): Promise<Reply> {
    this.#seq += 1;
    const key = `${this.#id}:${this.#seq}`;
    this.#worker.ref();
    return new Promise<Reply>((resolve, reject) => waiting.set(key, { resolve, reject }));
  }
}
