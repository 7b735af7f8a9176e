/**
 * The batch layer's recompute: seal a horizon B under the dataset's lock (from then on, events
 * older than B are late and refused, so the snapshot of committed master objects holds every event
 * before B; B stays below the events of any unit still pending, which the speed layer counted but the
 * master dataset does not hold yet), run the view's mapper as a job over those objects through the jobs engine, merge the
 * states its tasks wrote, write the new version's rows, then swap it in with the speed layer's drop
 * in one transaction (a view created before the mappers wrote per-task objects still has its
 * reducer merge shuffled partitions first).
 * Incremental: only objects that may hold events in [previous B, B) are read, and their rows are
 * merged into the previous version's — the same rows a full recompute gives. What the job wrote is
 * deleted for good (every version, on a bucket with versioning) once its rows are in (or it failed):
 * every version is served from SQLite, never from them. Nothing of the job writes after it ended: it
 * runs one cascade at a time (MAP_SLOTS), so the scheduler never starts a backup attempt beside a
 * running one. What still lands under a view's prefix later (a map task left running by a cascade that
 * failed and was retried, a crash before the delete, a job resumed after a restart that no recompute
 * waited for) is deleted by the view's next recompute, which first sweeps its earlier jobs' objects.
 */
import { availableParallelism } from 'node:os';
import { type JobService, purgeUnder } from '../jobs/index.js';
import type { EngineContext } from '../shared/context.js';
import type { BatchStore } from './batch-store.js';
import type { DatasetLocks } from './dataset-lock.js';
import type { MasterDatasets } from './master-dataset.js';
import type { SpeedLayer } from './speed-layer.js';
import type { BatchGeneration, RecomputeEvent } from './types.js';
import type { LoadedView } from './view-catalog.js';
import { bucketOf } from './view-module.js';

export interface RecomputeDeps {
  jobs: JobService;
  datasets: MasterDatasets;
  batch: BatchStore;
  speed: SpeedLayer;
  locks: DatasetLocks;
  /** Called with each phase (and the job id once known). */
  onPhase(event: RecomputeEvent): void;
}

/**
 * Reduce partitions of a recompute of a view whose mapper shuffles (created before per-task map
 * outputs). A view's map output is one state per (key, bucket), small beside
 * the events it folds, so its reducers do little but start: on 2 cores, four of them cost more (four
 * cold starts sharing the cores) than the map stage over 5 MB. One per two cores, at most four.
 */
const PARTITIONS = Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2)));

/**
 * Map tasks of a recompute running at once: two per core, as the planner sizes tasks for. A 1 GB
 * dataset (947 MB of events) is 5,137 master objects (177 MB gzip), planned as 4 tasks of about
 * 1,300 objects and 44 MB each, run by one cascade of 4 leaves that end within ~0.1 s of each other;
 * the jobs engine's defaults (10 per cascade, 64 invocations) once ran 23 tasks at once on 2 cores,
 * 23 cold starts and 23 processes sharing the cores, ~30 s each. Slots of one per core were tried
 * (2 tasks): on a machine shared with other work neither the wall time nor the CPU seconds told
 * the two apart, run after run.
 */
const MAP_SLOTS = 2 * availableParallelism();

/** The folder of one recompute job under its view's prefix: `v<version>-<epoch ms>/`. */
const JOB_FOLDER = /^v\d+-\d+\//;

/** Runs one recompute to its swap; resolves with the new generation. @throws what the job failed with */
export async function recompute(
  context: EngineContext,
  deps: RecomputeDeps,
  loaded: LoadedView,
  options: { incremental: boolean; onJob(jobId: string): void },
): Promise<BatchGeneration> {
  const { config, view } = loaded;
  const { datasets, batch, speed, jobs } = deps;
  const dataset = datasets.config(config.dataset);
  const previous = batch.current(config.name);
  const incremental = options.incremental && previous !== null;
  const snapshot = await deps.locks.run(dataset.name, async () => {
    const horizon = Math.max(bucketOf(await datasets.sealableUpTo(dataset.name), view.width), previous?.horizon ?? 0);
    datasets.seal(dataset.name, horizon);
    const from = incremental ? (previous?.horizon ?? 0) : Number.NEGATIVE_INFINITY;
    const objects = datasets.objects(dataset.name, from);
    return { horizon, from, keys: objects.map((o) => o.key), sizes: objects.map((o) => o.size) };
  });
  const version = batch.nextVersion(config.name);
  const states = new Map<string, { key: string; bucket: number; state: unknown }>();
  let events = incremental ? (previous?.events ?? 0) : 0;
  let jobId: string | null = null;
  /** The job's prefix, once its objects are read. */
  let written: string | undefined;
  if (incremental && previous) {
    for (const [key, bucket, state] of batch.rows(config.name, previous.version))
      states.set(JSON.stringify([key, bucket]), { key, bucket, state });
  }
  if (snapshot.keys.length > 0 && snapshot.from < snapshot.horizon) {
    await sweepEarlier(deps, dataset.bucket, config.name);
    const prefix = `${viewPrefix(config.name)}v${version}-${Date.now()}/`;
    const perTask = config.mapOutput === 'per-task';
    const record = jobs.submit(
      {
        mapper: config.mapper,
        // A view's map output is small (one state per key and bucket): the engine merges the map
        // tasks' objects itself rather than wait for a reducer's cold start to merge them first.
        ...(perTask ? {} : { reducer: config.reducer, partitions: PARTITIONS }),
        // Master objects are immutable and the dataset records their sizes: no HEAD per object.
        input: { bucket: dataset.bucket, keys: snapshot.keys, sizes: snapshot.sizes },
        fanout: MAP_SLOTS,
        concurrency: MAP_SLOTS + 1,
        output: { bucket: dataset.bucket, prefix },
        params: {
          from: Number.isFinite(snapshot.from) ? snapshot.from : -8.64e15,
          horizon: snapshot.horizon,
          timeField: dataset.timeField,
          ...(perTask ? { output: { bucket: dataset.bucket, prefix } } : {}),
        },
        // Retention keeps a view's recomputes together, apart from other jobs of the same mapper.
      },
      { kind: `view:${config.name}` },
    );
    jobId = record.id;
    options.onJob(jobId);
    deps.onPhase({ view: config.name, jobId, phase: 'started' });
    const final = await jobs.wait(jobId);
    if (final.status !== 'succeeded') {
      // A job interrupted by a stop resumes at the next start and still needs its objects.
      if (final.error?.code !== 'JobInterrupted') await purgeUnder(deps.datasets.objectStore, dataset.bucket, prefix);
      throw new Error(`job ${jobId} ${final.status}: ${final.error?.message ?? ''}`);
    }
    const custom = final.result?.custom as { events?: number; outputs?: Record<string, string> } | undefined;
    events += custom?.events ?? 0;
    const outputs = perTask
      ? Object.entries(custom?.outputs ?? {})
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([, key]) => key)
      : Array.from({ length: PARTITIONS }, (_, r) => `${prefix}out/part-r-${String(r).padStart(5, '0')}`);
    const texts = await Promise.all(outputs.map((key) => readText(deps, dataset.bucket, key)));
    written = prefix;
    for (const text of texts) {
      for (const line of text.split('\n')) {
        if (!line) continue;
        const [[k, bucket], state] = JSON.parse(line) as [[string, number], unknown];
        const id = JSON.stringify([k, bucket]);
        const before = states.get(id);
        states.set(id, { key: k, bucket, state: before ? view.monoid.merge(before.state, state) : state });
      }
    }
  } else {
    deps.onPhase({ view: config.name, phase: 'started' });
  }
  batch.writeRows(
    config.name,
    version,
    [...states.values()].map((s) => [s.key, s.bucket, s.state]),
  );
  const generation: BatchGeneration = { version, horizon: snapshot.horizon, computedAt: Date.now(), events };
  context.db.transaction(() => {
    batch.swap(config.name, generation, jobId, config.generations);
    speed.dropBefore(config.name, snapshot.horizon);
  })();
  if (written) await purgeUnder(deps.datasets.objectStore, dataset.bucket, written);
  return generation;
}

/** Where a view's recompute jobs write, each under a folder of its own. */
function viewPrefix(view: string): string {
  return `views/${view}/`;
}

/**
 * Deletes what earlier recomputes of a view left in their folders under its prefix (`v<version>-<ms>/`),
 * but the objects of a recompute job still running (one resumed after a restart); anything else there
 * is not the engine's and stays.
 */
async function sweepEarlier(deps: RecomputeDeps, bucket: string, view: string): Promise<void> {
  const under = viewPrefix(view);
  const running = deps.jobs
    .running()
    .filter((j) => j.spec.output?.bucket === bucket && j.spec.output.prefix.startsWith(under))
    .map((j) => j.spec.output?.prefix as string);
  await purgeUnder(
    deps.datasets.objectStore,
    bucket,
    under,
    (key) => JOB_FOLDER.test(key.slice(under.length)) && !running.some((p) => key.startsWith(p)),
  );
}

async function readText(deps: RecomputeDeps, bucket: string, key: string): Promise<string> {
  const { body } = await deps.datasets.objectStore.getObject(bucket, key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
