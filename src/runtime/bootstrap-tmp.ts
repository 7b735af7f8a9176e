/**
 * Private /tmp for an execution environment (child process side).
 *
 * Approach: the environment gets its own directory `<dataDir>/tmp/<envId>`. TMPDIR points at it, so
 * `os.tmpdir()` returns it. Code that names `/tmp/...` literally (as Lambda code does) goes through
 * `fs`, so every path-taking function of `fs`, `fs/promises` and the stream constructors is wrapped
 * to rewrite a leading `/tmp` to that directory; `syncBuiltinESMExports` makes ESM named imports of
 * `node:fs` see the wrappers too. Writes into the directory (by path, or through a descriptor opened
 * on it, which is how streams write) first check the directory's size and fail with ENOSPC past the
 * function's ephemeral storage. Native addons and child processes bypass this; Lambda code rarely does.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

type AnyFn = (...args: unknown[]) => unknown;

/** The lambdata package this bootstrap runs from (dist/runtime/ is two levels below it). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

const PATH_FIRST = [
  'access',
  'appendFile',
  'chmod',
  'chown',
  'lchown',
  'lutimes',
  'lstat',
  'mkdir',
  'mkdtemp',
  'open',
  'opendir',
  'readdir',
  'readFile',
  'readlink',
  'realpath',
  'rm',
  'rmdir',
  'stat',
  'statfs',
  'truncate',
  'unlink',
  'utimes',
  'writeFile',
  'watch',
];
const PATH_FIRST_AS_NAMED = [
  'exists',
  'existsSync',
  'watchFile',
  'unwatchFile',
  'createReadStream',
  'createWriteStream',
];
const PATH_BOTH = ['rename', 'copyFile', 'link', 'symlink', 'cp'];
const WRITE_BY_PATH = new Set(['appendFile', 'writeFile']);

/**
 * Installs the `fs` wrappers (in a blank runtime, before any function is known) and returns the
 * function that points them at one environment's directory: `/tmp` paths remap to `tmpDir`, and
 * writes there are capped at `limitBytes`. Until then the wrappers pass everything through.
 */
export function isolateTmp(): (tmpDir: string, limitBytes: number, codeDir: string) => void {
  let tmpDir = '';
  let limitBytes = Number.POSITIVE_INFINITY;
  // Real directories that may themselves lie under /tmp (a data dir or package in a temp dir) keep their paths.
  let keep: string[] = [];
  const remap = (p: unknown): unknown => {
    if (typeof p === 'string') {
      if (tmpDir === '' || (p !== '/tmp' && !p.startsWith('/tmp/'))) return p;
      return keep.some((dir) => p.startsWith(dir) || `${p}/` === dir) ? p : tmpDir + p.slice(4);
    }
    if (p instanceof URL && p.protocol === 'file:') return remap(fileURLToPath(p));
    return p;
  };
  const inTmp = (p: unknown) => tmpDir !== '' && typeof p === 'string' && (p === tmpDir || p.startsWith(`${tmpDir}/`));
  const lstatSync = fs.lstatSync;
  const readdirSync = fs.readdirSync;
  const usage = (dir: string): number => {
    let total = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      total += entry.isDirectory() ? usage(path) : lstatSync(path).size;
    }
    return total;
  };
  const wouldOverflow = (bytes: number) => bytes > 0 && usage(tmpDir) + bytes > limitBytes;
  const tmpFds = new Set<number>();

  const fsObj = fs as unknown as Record<string, AnyFn>;
  const promises = fs.promises as unknown as Record<string, AnyFn>;
  const wrapPaths = (
    target: Record<string, AnyFn>,
    name: string,
    both: boolean,
    checkWrite: 'sync' | 'cb' | 'promise' | null,
  ) => {
    const original = target[name];
    if (typeof original !== 'function') return;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      args[0] = remap(args[0]);
      if (both) args[1] = remap(args[1]);
      if (checkWrite && inTmp(args[0]) && wouldOverflow(sizeOf(args[1]))) return fail(checkWrite, 'write', args);
      return original.apply(this, args);
    };
    copyProperties(original, wrapped);
    target[name] = wrapped;
  };
  for (const name of PATH_FIRST) {
    const write = WRITE_BY_PATH.has(name);
    wrapPaths(fsObj, name, false, write ? 'cb' : null);
    wrapPaths(fsObj, `${name}Sync`, false, write ? 'sync' : null);
    wrapPaths(promises, name, false, write ? 'promise' : null);
  }
  for (const name of PATH_FIRST_AS_NAMED) wrapPaths(fsObj, name, false, null);
  for (const name of PATH_BOTH) {
    wrapPaths(fsObj, name, true, null);
    wrapPaths(fsObj, `${name}Sync`, true, null);
    wrapPaths(promises, name, true, null);
  }

  // Track descriptors opened inside the directory so fd writes (streams use them) are capped too.
  const openSync = fsObj.openSync;
  const open = fsObj.open;
  fsObj.openSync = function (...args: unknown[]) {
    const fd = openSync.apply(this, args) as number;
    if (inTmp(args[0])) tmpFds.add(fd);
    return fd;
  };
  fsObj.open = function (...args: unknown[]) {
    const callback = args[args.length - 1] as AnyFn;
    if (typeof callback === 'function' && inTmp(args[0])) {
      args[args.length - 1] = (err: unknown, fd: number) => {
        if (!err) tmpFds.add(fd);
        callback(err, fd);
      };
    }
    return open.apply(this, args);
  };
  for (const name of ['close', 'closeSync']) {
    const original = fsObj[name];
    fsObj[name] = function (...args: unknown[]) {
      tmpFds.delete(args[0] as number);
      return original.apply(this, args);
    };
  }
  for (const [name, mode] of [
    ['write', 'cb'],
    ['writeSync', 'sync'],
    ['writev', 'cb'],
    ['writevSync', 'sync'],
  ] as const) {
    const original = fsObj[name];
    if (typeof original !== 'function') continue;
    fsObj[name] = function (...args: unknown[]) {
      if (tmpFds.has(args[0] as number) && wouldOverflow(sizeOf(args[1]))) return fail(mode, 'write', args);
      return original.apply(this, args);
    };
  }
  syncBuiltinESMExports();
  return (dir, limit, codeDir) => {
    tmpDir = dir;
    limitBytes = limit;
    // lambdata's own install (a checkout under /tmp, its test-artifacts/) keeps its real paths too.
    keep = [dir, codeDir, PACKAGE_ROOT].filter((path) => path.startsWith('/tmp/')).map((path) => `${path}/`);
  };
}

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (ArrayBuffer.isView(data)) return data.byteLength;
  if (Array.isArray(data)) return data.reduce((sum: number, part) => sum + sizeOf(part), 0);
  return 0;
}

function enospc(syscall: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`ENOSPC: no space left on device, ${syscall}`);
  err.code = 'ENOSPC';
  err.errno = -28;
  err.syscall = syscall;
  return err;
}

function fail(mode: 'sync' | 'cb' | 'promise', syscall: string, args: unknown[]): unknown {
  const err = enospc(syscall);
  if (mode === 'sync') throw err;
  if (mode === 'promise') return Promise.reject(err);
  const callback = args[args.length - 1];
  if (typeof callback === 'function') process.nextTick(callback as AnyFn, err);
  return undefined;
}

function copyProperties(from: AnyFn, to: AnyFn): void {
  for (const key of Reflect.ownKeys(from)) {
    if (key === 'length' || key === 'name' || key === 'prototype') continue;
    const descriptor = Object.getOwnPropertyDescriptor(from, key);
    if (descriptor) Object.defineProperty(to, key, descriptor);
  }
}
