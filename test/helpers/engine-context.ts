/** A throwaway engine context over a temp data dir, for unit tests of one service. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineContext } from '../../src/shared/context.js';
import { createLogger } from '../../src/shared/log.js';
import { openDb } from '../../src/state/db.js';

/** An EngineContext whose `dispose()` closes the database and removes the data dir. */
export type TestContext = EngineContext & { dispose(): void };

/**
 * Opens a fresh database in a temp dir named after `prefix` (or the database of `dataDir`, one an
 * earlier context or an older schema left), with test credentials and region.
 */
export function testContext(prefix: string, dataDir = mkdtempSync(join(tmpdir(), `lambdata-${prefix}-`))): TestContext {
  const db = openDb(dataDir);
  return {
    db,
    dataDir,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    endpoint: () => 'http://127.0.0.1:4566',
    log: createLogger('test'),
    dispose() {
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
