/** The recorder fixture (test/fixtures/events/recorder): deploys it and reads back the events it saw. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../../src/engine.js';
import { fixturePath } from './fixtures.js';

/** One line the recorder fixture wrote. */
export interface Recorded {
  ok: boolean;
  payloads: string[];
  // biome-ignore lint/suspicious/noExplicitAny: events of several shapes, asserted field by field in tests
  event: { Records: Record<string, any>[] } & Record<string, unknown>;
}

/** Deploys the recorder fixture as `name`, writing into `outDir`. */
export async function deployRecorder(
  engine: Engine,
  name: string,
  outDir: string,
  env: Record<string, string> = {},
): Promise<void> {
  await engine.functions.create({
    name,
    handler: 'index.handler',
    code: { dir: fixturePath('events/recorder') },
    environment: { OUT_DIR: outDir, ...env },
    timeoutS: 10,
  });
}

/**
 * Every event the recorder has written so far: whole lines only, since a line the function is
 * appending while the test polls may be read half written.
 */
export function recorded(outDir: string): Recorded[] {
  return wholeJsonLines<Recorded>(join(outDir, 'events.jsonl'));
}

/**
 * The whole JSON lines a function has appended to `file` so far (the objects/recorder fixture's
 * COLLECT_FILE, one event per line); [] before the first. A line still being written is left out.
 */
export function wholeJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .slice(0, -1) // after the last newline: nothing, or a line still being written
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}
