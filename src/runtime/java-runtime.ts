/**
 * lambdata's Java runtime (java17, java21): its sources live in src/runtime/java (our Runtime API
 * bootstrap and AWS's handler contract types, com.amazonaws.services.lambda.runtime.*), compiled
 * once with the machine's JDK into one jar beside bootstrap.sh, which starts it under `java`.
 * Nothing is downloaded: without a JDK, Java functions are refused at CreateFunction.
 */
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { distPath } from '../shared/paths.js';

/** A JDK's `java` found on the machine. */
export interface JavaInstall {
  /** Absolute path of `java` (under /usr, so a sandbox sees it too). */
  java: string;
  /** Feature version: 17, 21 … */
  version: number;
}

/** Where the built runtime lives, relative to dist/. */
export const JAVA_RUNTIME_DIR = 'runtime/java';
/** The runtime jar users compile their handlers against (it holds the AWS contract types). */
export const JAVA_RUNTIME_JAR = 'lambdata-java-runtime.jar';
/** The launcher the Runtime API program runs: `/bin/sh bootstrap.sh`. */
export const JAVA_LAUNCHER = 'bootstrap.sh';

/** Debian's alternatives link first; sandboxes see /usr and /etc, not /opt or /home. */
const JAVA_CANDIDATES = ['/usr/bin/java', '/usr/local/bin/java'];
const SHELL = '/bin/sh';
const VERSION = /version "(\d+)(?:\.(\d+))?/;

let found: JavaInstall | null | undefined;

/** The machine's `java` (looked up once), or undefined when no JDK or JRE is installed. */
export function findJava(): JavaInstall | undefined {
  if (found !== undefined) return found ?? undefined;
  found = null;
  for (const java of JAVA_CANDIDATES) {
    if (!isExecutable(java)) continue;
    const probe = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 20_000, env: { PATH: '/usr/bin:/bin' } });
    const match = VERSION.exec(probe.stderr ?? '');
    if (probe.status !== 0 || !match) continue;
    // Java 8 and older call themselves 1.x.
    const version = match[1] === '1' ? Number(match[2]) : Number(match[1]);
    found = { java, version };
    break;
  }
  return found ?? undefined;
}

/** True when the runtime jar has been built into dist/. */
export function javaRuntimeBuilt(): boolean {
  return existsSync(distPath(`${JAVA_RUNTIME_DIR}/${JAVA_RUNTIME_JAR}`));
}

/**
 * Compiles the runtime's Java sources under `sourceDir` into `outDir`/lambdata-java-runtime.jar
 * (written to a temp name, then renamed) and copies the launcher beside it. Returns false when no
 * `javac` is installed; throws with javac's or jar's output when they fail.
 */
export function buildJavaRuntime(sourceDir: string, outDir: string): boolean {
  const javac = findTool('javac');
  const jar = findTool('jar');
  if (!javac || !jar) return false;
  mkdirSync(outDir, { recursive: true });
  const work = mkdtempSync(join(outDir, '.build-'));
  try {
    const sources = listJava(sourceDir);
    run(javac, ['--release', '17', '-encoding', 'UTF-8', '-d', join(work, 'classes'), ...sources]);
    const built = join(work, JAVA_RUNTIME_JAR);
    run(jar, [
      '--create',
      '--file',
      built,
      '--main-class',
      'lambdata.runtime.Bootstrap',
      '-C',
      join(work, 'classes'),
      '.',
    ]);
    cpSync(join(sourceDir, JAVA_LAUNCHER), join(outDir, JAVA_LAUNCHER));
    renameSync(built, join(outDir, JAVA_RUNTIME_JAR));
    return true;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function listJava(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.java'))
    .map((file) => join(dir, file))
    .sort((a, b) => relative(dir, a).localeCompare(relative(dir, b)));
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) {
    throw new Error(
      `${command} failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr}${result.stdout}`,
    );
  }
}

function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/local/bin'];
  return dirs.map((dir) => join(dir, name)).find((path) => isExecutable(path));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false; // not installed there
  }
}

/** The launcher's interpreter (`/bin/sh`, reporting the JDK's version), or undefined without a usable Java runtime. */
export function javaLauncher(): { path: string; version: string } | undefined {
  const java = findJava();
  return java && javaRuntimeBuilt() ? { path: SHELL, version: String(java.version) } : undefined;
}

/** Undefined when `runtime` (java17, java21) can run here; otherwise what to install, as a sentence. */
export function javaUnavailable(runtime: string): string | undefined {
  const java = findJava();
  if (!java) {
    return `Runtime: '${runtime}' needs a Java runtime on this machine, and no java was found in /usr/bin or /usr/local/bin; install a JDK (Debian: apt-get install openjdk-17-jdk-headless)`;
  }
  if (!javaRuntimeBuilt()) {
    return `Runtime: '${runtime}' needs lambdata's Java runtime, which was not built (no javac when lambdata was built); install a JDK (Debian: apt-get install openjdk-17-jdk-headless) and run the build again`;
  }
  return undefined;
}
