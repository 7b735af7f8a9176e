import type { Engine } from '../engine.js';

/**
 * Seeds the demo for `npm start`: deploys the built-in functions and a demo bucket with a
 * generated corpus, and prints what to try. Filled in by the core engine and jobs work.
 */
export async function seedDemo(_engine: Engine, url: string, out: (text: string) => void): Promise<void> {
  out(`\nTry: curl ${url}/_lambdata/health\n`);
}
