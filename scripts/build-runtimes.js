// Copies the bootstraps of runtimes written in other languages (src/runtime/<language>) into
// dist/runtime, where execution environments load them. tsc copies only TypeScript's output.
import { cpSync, existsSync } from 'node:fs';

for (const language of ['python']) {
  const from = `src/runtime/${language}`;
  if (existsSync(from))
    cpSync(from, `dist/runtime/${language}`, { recursive: true, filter: (p) => !p.includes('__pycache__') });
}
