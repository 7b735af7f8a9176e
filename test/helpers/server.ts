/** An engine and its HTTP server on port 0 over a fresh temp data dir, for end-to-end tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, type ServerOptions, startServer } from '../../src/api/index.js';
import { createEngine, type Engine, type EngineOptions } from '../../src/engine.js';

/** A running engine + server; `close()` stops both and removes the data dir. */
export interface TestServer {
  /** The temp data dir (also usable as HOME for CLI runs). */
  dir: string;
  engine: Engine;
  server: RunningServer;
  /** Base URL of the server. */
  url: string;
  close(): Promise<void>;
}

/** Creates a temp dir named after `prefix`, an engine on it and a server on port 0 (with `serverOptions`). */
export async function startTestServer(
  prefix: string,
  options: Omit<EngineOptions, 'dataDir'> = {},
  serverOptions: Omit<ServerOptions, 'port'> = {},
): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), `lambdata-${prefix}-`));
  let engine: Engine | undefined;
  try {
    engine = await createEngine({ ...options, dataDir: dir });
    const server = await startServer(engine, { ...serverOptions, port: 0 });
    const started = engine;
    return {
      dir,
      engine,
      server,
      url: server.url,
      async close() {
        try {
          await server.close();
          await started.close();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
