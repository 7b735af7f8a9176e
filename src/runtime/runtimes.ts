/**
 * The runtime families a function can be written for, one entry each: the runtime ids AWS offers
 * for it, the handler syntax it accepts, how its execution environments are launched (the Node
 * bootstrap over the private channel, or a program serving the Lambda Runtime API), and whether the
 * machine can run it. CreateFunction and UpdateFunctionConfiguration check runtimes and handlers
 * here; the pool launches environments from here.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { JAVA_LAUNCHER, JAVA_RUNTIME_DIR, javaLauncher, javaUnavailable } from './java-runtime.js';

/** How an environment's process is started. */
export type RuntimeLaunch =
  /** dist/runtime/bootstrap.js under the engine's own Node, driven over the private channel (fd 3). */
  | { kind: 'node' }
  /** The package's own executable `bootstrap`, serving the Runtime API. */
  | { kind: 'package-bootstrap' }
  /** An interpreter of the machine running one of our bootstraps (a path under dist/), serving the Runtime API. */
  | {
      kind: 'interpreter';
      interpreter: () => Interpreter | undefined;
      script: string;
      /**
       * The bootstrap can be pre-started blank (`script --blank <Runtime API address>`) and handed its
       * function later, unless the function sets one of these variables, which act at start only.
       */
      prestart?: { startOnlyVariables: RegExp };
    };

/** An interpreter found on the machine. */
export interface Interpreter {
  /** Absolute path, visible inside a sandbox (under /usr or /bin). */
  path: string;
  /** `3.11` for Python. */
  version: string;
}

/** One runtime family; see the module comment. */
export interface RuntimeFamily {
  name: 'nodejs' | 'provided' | 'python' | 'java';
  /** Runtime ids accepted at CreateFunction, as AWS names them. */
  ids: readonly string[];
  /** The handler syntax, for error messages. */
  handlerSyntax: string;
  /** True when `handler` is well formed for this family (no path traversal either). */
  acceptsHandler(handler: string): boolean;
  /** How environments start; undefined while this build cannot run the family at all. */
  launch: RuntimeLaunch | undefined;
  /** Undefined when the machine can run `runtime`; otherwise what to install, as a sentence. */
  unavailable(runtime: string): string | undefined;
  /** AWS_EXECUTION_ENV of an environment (custom runtimes have none). */
  executionEnv(runtime: string): string | undefined;
}

/** The Python the environments run: Debian's own first (it has python3-boto3), else the first on PATH. */
const PYTHON_CANDIDATES = ['/usr/bin/python3', '/usr/local/bin/python3'];
/** Directories a sandboxed environment can see (sandbox-script.ts binds /usr, /bin …, not /root or /home). */
const SANDBOX_VISIBLE = /^\/(usr|bin|sbin|lib|lib64|opt\/lambdata)\//;

const NODE_MODULE = /^[^\s]+\.[A-Za-z_$][\w$]*$/;
const PYTHON_IDENTIFIER = '[A-Za-z_][A-Za-z0-9_]*';
// `module.function`, where the module may sit in packages: `pkg/mod.fn` or `pkg.mod.fn`.
const PYTHON_HANDLER = new RegExp(`^(?:${PYTHON_IDENTIFIER}/)*${PYTHON_IDENTIFIER}(?:\\.${PYTHON_IDENTIFIER})+$`);
const JAVA_NAME = '[A-Za-z_$][\\w$]*';
const JAVA_HANDLER = new RegExp(`^${JAVA_NAME}(?:\\.${JAVA_NAME})*(?:::${JAVA_NAME})?$`);

const noTraversal = (handler: string) => !handler.split('/').includes('..');

/** The families, in the order they are listed to users. */
export const RUNTIME_FAMILIES: readonly RuntimeFamily[] = [
  {
    name: 'nodejs',
    ids: ['nodejs', 'nodejs18.x', 'nodejs20.x', 'nodejs22.x'],
    handlerSyntax: 'path/file.export',
    acceptsHandler: (handler) => NODE_MODULE.test(handler) && noTraversal(handler),
    launch: { kind: 'node' },
    unavailable: () => undefined,
    executionEnv: (runtime) => `AWS_Lambda_${runtime === 'nodejs' ? 'nodejs20.x' : runtime}`,
  },
  {
    name: 'provided',
    ids: ['provided', 'provided.al2', 'provided.al2023'],
    handlerSyntax: 'any string (the bootstrap reads it from _HANDLER)',
    acceptsHandler: (handler) => handler.length > 0,
    launch: { kind: 'package-bootstrap' },
    unavailable: () => undefined,
    executionEnv: () => undefined,
  },
  {
    name: 'python',
    ids: ['python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13'],
    handlerSyntax: 'module.function (a module in packages: pkg/mod.function or pkg.mod.function)',
    acceptsHandler: (handler) => PYTHON_HANDLER.test(handler),
    launch: {
      kind: 'interpreter',
      interpreter: () => findPython(),
      script: 'runtime/python/bootstrap.py',
      prestart: { startOnlyVariables: /^PYTHON/ },
    },
    unavailable: (runtime) =>
      findPython()
        ? undefined
        : `Runtime: '${runtime}' needs Python 3 on this machine, and none was found in /usr/bin or /usr/local/bin; install it (Debian: apt-get install python3 python3-boto3)`,
    executionEnv: (runtime) => `AWS_Lambda_${runtime}`,
  },
  {
    name: 'java',
    ids: ['java17', 'java21'],
    handlerSyntax: 'package.Class::method or package.Class',
    acceptsHandler: (handler) => JAVA_HANDLER.test(handler),
    // Our launcher (a shell script) sizes the heap from the function's memory and starts `java`.
    launch: { kind: 'interpreter', interpreter: () => javaLauncher(), script: `${JAVA_RUNTIME_DIR}/${JAVA_LAUNCHER}` },
    unavailable: (runtime) => javaUnavailable(runtime),
    executionEnv: (runtime) => `AWS_Lambda_${runtime}`,
  },
];

/** Every accepted runtime id. */
export const RUNTIME_IDS: readonly string[] = RUNTIME_FAMILIES.flatMap((family) => family.ids);

/** The family of a runtime id, or undefined for an unknown id. */
export function runtimeFamily(runtime: string): RuntimeFamily | undefined {
  return RUNTIME_FAMILIES.find((family) => family.ids.includes(runtime));
}

/** True for runtimes whose environments speak the Runtime API (everything but Node's own). */
export function speaksRuntimeApi(runtime: string): boolean {
  const launch = runtimeFamily(runtime)?.launch;
  return launch !== undefined && launch.kind !== 'node';
}

let python: Interpreter | null | undefined;

/**
 * The machine's Python 3 for functions (looked up once): Debian's /usr/bin/python3 before a python3
 * earlier on PATH (a pyenv one lacks Debian's boto3, and a sandbox cannot see it).
 */
export function findPython(): Interpreter | undefined {
  if (python !== undefined) return python ?? undefined;
  python = null;
  const onPath = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'python3'));
  for (const path of [...PYTHON_CANDIDATES, ...onPath.filter((p) => SANDBOX_VISIBLE.test(p))]) {
    if (!isExecutable(path)) continue;
    const probe = spawnSync(path, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { PATH: '/usr/bin:/bin' },
    });
    const version = probe.stdout?.trim() ?? '';
    if (probe.status === 0 && /^3\.\d+$/.test(version)) {
      python = { path, version };
      break;
    }
  }
  return python ?? undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false; // not installed there
  }
}
