import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineContext } from '../../shared/context.js';
import { createLogger } from '../../shared/log.js';
import { openDb } from '../../state/db.js';

/** A throwaway engine context over a temp data dir, for unit tests of the object store. */
export function testContext(dataDir = mkdtempSync(join(tmpdir(), 'lambdata-objects-'))): EngineContext & {
  dispose(): void;
} {
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
