import { fileURLToPath } from 'node:url';

/**
 * Absolute path of a file in the compiled output (dist/). Works from both src/ (under vitest) and
 * dist/, because src/shared and dist/shared sit at the same depth. Files that run in child
 * processes (the runtime bootstrap) must be compiled JavaScript, so tests build first.
 */
export function distPath(relative: string): string {
  return fileURLToPath(new URL(`../../dist/${relative}`, import.meta.url));
}

/** Absolute path of a file relative to the package root (functions/, web assets …). */
export function packagePath(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}
