import { startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';

/**
 * Runs `body` against an engine (and its server) on `dataDir`, then stops the engine first, as Ctrl-C of
 * `lambdata serve` does: a job still running is interrupted, not finished.
 */
export async function withEngine<T>(dataDir: string, body: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await createEngine({ dataDir });
  const server = await startServer(engine, { port: 0 });
  try {
    return await body(engine);
  } finally {
    await engine.close();
    await server.close();
  }
}

/** Resolves once `tasks` tasks of the job are done (with the count then), or when its events end (with 0). */
export function tasksDone(engine: Engine, jobId: string, tasks: number): Promise<number> {
  return new Promise((resolve) => {
    const stop = engine.jobs.follow(
      jobId,
      (e) => {
        if (e.type === 'task.done' && e.counters.tasksDone >= tasks) {
          stop();
          resolve(e.counters.tasksDone);
        }
      },
      () => resolve(0),
    );
  });
}
