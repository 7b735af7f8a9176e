import type { Billing, FunctionRegistry, InvocationRecord, Invoker, LogLine } from '../invoke/index.js';
import type { BackgroundService, EngineContext } from '../shared/context.js';
import { AccessDenied, ResourceConflict, ResourceNotFound } from '../shared/errors.js';
import { Topic } from '../shared/events.js';
import { newId } from '../shared/ids.js';
import type { Logger } from '../shared/log.js';
import type { ObjectStore } from '../storage/objects/index.js';
import { AttemptSecrets } from './attempt-secrets.js';
import type { JobBackend, ResolveBackend } from './backend.js';
import { BGZIP_INDEX_SUFFIX } from './bgzip.js';
import { BUILTIN_FUNCTIONS, Builtins, isBuiltin } from './builtins.js';
import { closeCutOff } from './cost.js';
import { JobInterrupted, NoInputObjects } from './errors.js';
import { JobInvocations } from './job-invocations.js';
import {
  defaultOutput,
  type EventBody,
  type JobProgressReport,
  normalizeSpec,
  nothingMatched,
  type RunDeps,
  runJob,
} from './job-run.js';
import { JobStore } from './job-store.js';
import { type GrantFiles, grantAttemptReads } from './local-reads.js';
import { assertRerunnable, pipelineOfRun, runPipeline } from './pipeline-run.js';
import { listInput } from './planner.js';
import { validateReport } from './progress-report.js';
import type { ReadGrantAnswer } from './protocol.js';
import { type RetentionPolicy, retentionPolicy } from './retention.js';
import { RunCleanup } from './run-cleanup.js';
import { validateSpec } from './spec.js';
import type { JobEvent, JobRecord, JobSpec } from './types.js';

export interface JobServiceOptions {
  invoker: Invoker;
  objects: ObjectStore;
  functions: FunctionRegistry;
  billing: Billing;
  /** Every function log line as it is written; a job republishes those of its own invocations. */
  logLines?: Topic<LogLine>;
  /** Resolves the scale-out targets a spec may name (`spec.target`); without it only `local` runs. */
  backends?: ResolveBackend;
  /** Short-circuit local reads for map attempts; absent where environments are not sandboxed. */
  grantFiles?: GrantFiles;
  /** Finished runs kept (default DEFAULT_RETENTION); running ones are never deleted. */
  retention?: Partial<RetentionPolicy>;
}

/** How a job is submitted besides its spec. */
export interface SubmitOptions {
  /** What retention groups the run with (default: its mapper, or its stages' mappers). */
  kind?: string;
}

/** The name of this machine's own target. */
const LOCAL = 'local';

/**
 * Map-reduce and scatter-gather jobs and pipelines: check, submit, follow, read results, resume,
 * rerun a pipeline stage. Jobs persist in SQLite; a job the engine was running when it stopped
 * resumes by itself at the next start (only its uncommitted tasks run again), and `resume(id)`
 * does the same for a job that failed. Finished runs are cleaned up (run-cleanup.ts): their
 * intermediates when they end, the runs themselves past the retention policy or on request.
 */
export class JobService implements BackgroundService {
  /** Every job event, as published (the SSE endpoint filters by job). */
  readonly events = new Topic<JobEvent>();
  /** Events emitted this turn, stored and published together at its end (#emit). */
  readonly #unstored: JobEvent[] = [];
  /** Progress reports of running mappers; each run takes those of its own attempts. */
  readonly #reports = new Topic<JobProgressReport>();
  readonly #secrets = new AttemptSecrets();
  #store: JobStore;
  #functions: FunctionRegistry;
  #invoker: Invoker;
  #objects: ObjectStore;
  #builtins: Builtins;
  #backends?: ResolveBackend;
  #grantFiles?: GrantFiles;
  /** Built-in deployers of remote targets, by target name. */
  #remoteBuiltins = new Map<string, Builtins>();
  #context: EngineContext;
  #log: Logger;
  #running = new Map<string, { done: Promise<JobRecord>; abort: AbortController; functions: Set<string> }>();
  /** Runs that have ended while some of their invocations still run (billed to them when they end). */
  #settling = new Map<string, AbortController>();
  #seq = new Map<string, number>();
  /** Records and log lines of the invocations running jobs make, until their job takes them. */
  readonly #invocations = new JobInvocations();
  #logLines?: Topic<LogLine>;
  #unsubscribe: Array<() => void> = [];
  #cleanup: RunCleanup;
  readonly #retention: RetentionPolicy;

  /** @throws InvalidParameterValue for a bad retention policy. */
  constructor(context: EngineContext, options: JobServiceOptions) {
    this.#store = new JobStore(context.db);
    this.#invoker = options.invoker;
    this.#functions = options.functions;
    this.#objects = options.objects;
    this.#builtins = new Builtins(context.db, context.dataDir, options.functions);
    this.#backends = options.backends;
    this.#grantFiles = options.grantFiles;
    this.#context = context;
    this.#log = context.log.child({ component: 'jobs' });
    this.#logLines = options.logLines;
    this.#retention = retentionPolicy(options.retention);
    this.#cleanup = new RunCleanup({
      store: this.#store,
      policy: this.#retention,
      log: this.#log,
      objectsOf: (spec) => this.#backendOf(spec).objects,
      isRunning: (id) => this.#running.has(id),
    });
  }

  async start(): Promise<void> {
    const records = (this.#invoker as { records?: Topic<InvocationRecord> }).records;
    const unsubscribe = records?.subscribe((record) => {
      if (this.#running.size > 0 || this.#settling.size > 0) this.#invocations.keepRecord(record);
    });
    if (unsubscribe) this.#unsubscribe.push(unsubscribe);
    const unsubscribeLines = this.#logLines?.subscribe((line) => {
      if (this.#running.size === 0) return;
      this.#invocations.keepLine(line, (fn) => [...this.#running.values()].some((run) => run.functions.has(fn)));
    });
    if (unsubscribeLines) this.#unsubscribe.push(unsubscribeLines);
    // Before any run resumes (a pipeline's record carries its finished stages' costs).
    this.#closeCutOffCosts();
    // Jobs the engine was running when it stopped (even by kill -9) resume by themselves.
    for (const id of this.#store.running()) {
      const record = this.#store.get(id);
      if (!record || this.#running.has(id)) continue;
      this.#log.info('resuming an interrupted job', { jobId: id });
      this.#emit(record, { type: 'warning', message: 'the engine stopped while this job ran; it resumes by itself' });
      this.#restart(record, {});
    }
    this.#cleanup.start();
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    for (const run of this.#running.values()) run.abort.abort(new JobInterrupted());
    // Ended runs stop waiting for their stragglers: their cost reports close with what was billed so far.
    for (const abort of this.#settling.values()) abort.abort(new JobInterrupted());
    await Promise.allSettled([...this.#running.values()].map((r) => r.done));
    await this.#cleanup.stop();
  }

  /** Deploys the built-in functions (or those named) now, instead of when a job first needs them. */
  async deployBuiltins(names: string[] = [...BUILTIN_FUNCTIONS]): Promise<void> {
    await this.#builtins.ensure(names);
  }

  /**
   * What the native API runs before `submit`: the spec is well formed, its input bucket exists and
   * something in it matches, and every function it names is deployed or built in, so a job that
   * cannot run is refused at once instead of failing (and billing) later.
   * @throws InvalidParameterValue; NoSuchBucket (input or output); NoSuchKey for a listed key that does not exist;
   * NoInputObjects when nothing matched; ResourceNotFound for an unknown mapper or reducer.
   */
  async check(spec: JobSpec): Promise<void> {
    validateSpec(spec);
    const backend = this.#backendOf(spec);
    for (const name of functionsOf(spec)) {
      if (!isBuiltin(name) && !(await backend.functions.has(name)))
        throw new ResourceNotFound(
          `Function not found: ${name}${backend.name === LOCAL ? '' : ` on target ${backend.name}`} (deploy it, or use a built-in: wordcount, wordfreq, grep)`,
        );
    }
    const output = spec.output ?? defaultOutput(spec, 'j-');
    // An output bucket of its own must exist too (listing a missing bucket throws NoSuchBucket).
    if (output.bucket !== spec.input.bucket) await backend.objects.listObjects(output.bucket, { maxKeys: 1 });
    // Known sizes spare the run a HEAD per key; the check still heads what it reads.
    const { sizes: _known, ...input } = spec.input;
    for await (const object of listInput(backend.objects, input, output)) {
      if (!object.key.endsWith(BGZIP_INDEX_SUFFIX)) return;
    }
    throw new NoInputObjects(nothingMatched(spec));
  }

  /**
   * Starts a job (or a pipeline: a spec with `stages`) and answers at once with its record; follow
   * it with `follow` or `wait`. Call `check` first to refuse jobs that cannot run.
   * @throws InvalidParameterValue for a malformed spec.
   */
  submit(spec: JobSpec, options: SubmitOptions = {}): JobRecord {
    validateSpec(spec);
    const remote = (spec.target ?? LOCAL) !== LOCAL;
    // Mappers on a target cannot reach this engine's progress endpoint: progress comes per task there.
    const normalized = normalizeSpec(
      remote && spec.liveProgress === undefined ? { ...spec, liveProgress: false } : spec,
    );
    const record = this.#store.create(newId('j-'), normalized, Date.now(), null, options.kind);
    this.#launch(record, { resumed: false });
    return record;
  }

  /**
   * Reruns a failed job: committed tasks are kept, only the rest runs.
   * @throws ResourceNotFound for an unknown id; ResourceConflict when it is running or succeeded.
   */
  resume(id: string): JobRecord {
    const record = this.get(id);
    const pipeline = pipelineOfRun(id);
    if (pipeline !== undefined)
      throw new ResourceConflict(
        `${id} is a run of a stage of pipeline ${pipeline}: resume the pipeline, or rerun the stage`,
      );
    if (record.status !== 'failed')
      throw new ResourceConflict(`job ${id} is ${record.status}; only failed jobs resume`);
    this.#assertSettled(id);
    this.#restart(record, {});
    return record;
  }

  /**
   * Reruns one stage of a pipeline from its stored input (the committed output of the stage
   * before), with a fresh manifest; the other stages do not run again.
   * @throws ResourceNotFound; ResourceConflict while the pipeline runs; StageNotRerunnable.
   */
  rerunStage(id: string, stage: number): JobRecord {
    const record = this.get(id);
    if (record.status === 'running' || this.#running.has(id))
      throw new ResourceConflict(`job ${id} is running; rerun a stage once it has ended`);
    this.#assertSettled(id);
    assertRerunnable(record, stage);
    this.#restart(record, { rerunStage: stage });
    return record;
  }

  /**
   * Deletes a finished job or pipeline (its stage runs with it): its intermediates, record, events and
   * manifest; the outputs it wrote stay where they are.
   * @throws ResourceNotFound for an unknown id; ResourceConflict while it runs, or for a pipeline stage's run.
   */
  async delete(id: string): Promise<void> {
    const record = this.get(id);
    const pipeline = pipelineOfRun(id);
    if (pipeline !== undefined)
      throw new ResourceConflict(`${id} is a run of a stage of pipeline ${pipeline}: delete the pipeline`);
    if (record.status === 'running' || this.#running.has(id))
      throw new ResourceConflict(`job ${id} is running; delete it once it has ended`);
    await this.#cleanup.delete(record);
    this.#seq.delete(id);
  }

  /** How many finished runs are kept, and how long. */
  get retention(): RetentionPolicy {
    return { ...this.#retention };
  }

  /** Deletes the finished runs the retention policy no longer keeps (also done at start, after each run and every 10 minutes). */
  applyRetention(now?: number): Promise<void> {
    return this.#cleanup.prune(now);
  }

  /** @throws ResourceConflict while a job that has ended is still being cleaned up. */
  #assertSettled(id: string): void {
    if (this.#running.has(id) || this.#cleanup.sweeping(id))
      throw new ResourceConflict(`job ${id} is still being cleaned up after its end; try again in a moment`);
  }

  /** Sets a stopped job running again and launches it as a resume (or a stage rerun). */
  #restart(record: JobRecord, options: { rerunStage?: number }): void {
    record.status = 'running';
    record.error = null;
    record.finishedAt = null;
    record.stages = [];
    record.counters = {
      ...record.counters,
      tasksDispatched: 0,
      tasksDone: 0,
      tasksRetried: 0,
      words: 0,
      lines: 0,
      bytes: 0,
    };
    this.#store.update(record);
    this.#launch(record, { resumed: options.rerunStage === undefined, ...options });
  }

  /** The job's record. @throws ResourceNotFound. */
  get(id: string): JobRecord {
    const record = this.#store.get(id);
    if (!record) throw new ResourceNotFound(`Job not found: ${id}`);
    return record;
  }

  /** Jobs, newest first. */
  list(limit?: number): JobRecord[] {
    return this.#store.list(limit);
  }

  /** Every job recorded as running, oldest first (one interrupted by a stop included: it resumes). */
  running(): JobRecord[] {
    return this.#store.running().flatMap((id) => this.#store.get(id) ?? []);
  }

  /** Events so far (after `afterSeq`), for replay to late subscribers. */
  history(id: string, afterSeq = 0): JobEvent[] {
    this.get(id);
    return this.#store.events(id, afterSeq);
  }

  /**
   * Replays a job's events, then follows live ones until the job completes or fails (then calls
   * `onEnd`). Returns the function that stops following. @throws ResourceNotFound.
   */
  follow(id: string, onEvent: (event: JobEvent) => void, onEnd: () => void): () => void {
    this.get(id);
    const buffered: JobEvent[] = [];
    let replaying = true;
    let last = 0;
    let ended = false;
    // A resumed job's history holds the interruption's job.failed before the resumed job.started: only an
    // end after the last start ends the stream.
    let lastStart = 0;
    // The stored history is replayed whole: a `cost` event after the end (invocations that outlived the
    // job, billed later) comes with it; a live follower's stream ends at the end itself.
    let endsAfterReplay = false;
    const end = () => {
      ended = true;
      unsubscribe();
      onEnd();
    };
    const deliver = (event: JobEvent) => {
      if (ended || event.seq <= last) return;
      last = event.seq;
      onEvent(event);
      if ((event.type === 'job.completed' || event.type === 'job.failed') && event.seq > lastStart) {
        if (replaying) endsAfterReplay = true;
        else end();
      }
    };
    const unsubscribe = this.events.subscribe((event) => {
      if (event.jobId !== id) return;
      if (replaying) buffered.push(event);
      else deliver(event);
    });
    const history = this.#store.events(id);
    lastStart = history.findLast((e) => e.type === 'job.started')?.seq ?? 0;
    for (const event of history) deliver(event);
    replaying = false;
    if (endsAfterReplay) end();
    for (const event of buffered) deliver(event);
    if (!ended && !this.#running.has(id)) {
      // Not running and no terminal event: nothing more will come.
      const record = this.get(id);
      if (record.status !== 'running') {
        ended = true;
        unsubscribe();
        onEnd();
      }
    }
    return () => {
      ended = true;
      unsubscribe();
    };
  }

  /**
   * Takes a running mapper's provisional progress report (see TaskProgressReport). Only the attempt
   * itself can report: the report must carry the secret its payload got, live while it runs (a
   * pipeline's stage runs, `<id>.s<n>`, report under their own ids).
   * @throws InvalidParameterValue for a malformed report; AccessDenied when the secret is not the
   * live secret of that attempt (a forged report, or one from an attempt that has ended).
   */
  report(jobId: string, report: unknown): void {
    const { secret, ...valid } = validateReport(report);
    if (!this.#secrets.matches(jobId, valid.taskId, valid.attempt, secret))
      throw new AccessDenied(
        `no running attempt ${valid.attempt} of task ${valid.taskId} of job ${jobId} holds that secret`,
      );
    this.#reports.publish({ ...valid, jobId });
  }

  /**
   * A running map attempt's short-circuit read grant (docs/MAPPERS.md): its input objects as read-only
   * files in its environment, until its invocation ends.
   * @throws InvalidParameterValue for a malformed request; AccessDenied for a secret no running attempt holds.
   */
  grantReads(jobId: string, request: unknown): ReadGrantAnswer {
    const grant = this.#grantFiles;
    if (!grant) return { files: [] };
    const { files, granted } = grantAttemptReads(this.#secrets, this.#objects, grant, jobId, request);
    if (!granted) throw new AccessDenied(`no running attempt of job ${jobId} holds that secret`);
    return { files };
  }

  /** Resolves with the final record once the job completes or fails. @throws ResourceNotFound. */
  async wait(id: string): Promise<JobRecord> {
    const run = this.#running.get(id);
    if (run) return run.done;
    return this.get(id);
  }

  #launch(record: JobRecord, start: { resumed: boolean; rerunStage?: number }): void {
    const abort = new AbortController();
    const inFlight = new Set<Promise<unknown>>();
    let backend: JobBackend;
    try {
      backend = this.#backendOf(record.spec);
    } catch (err) {
      // The target was removed since the job started: the job fails with the reason.
      const failure = Promise.reject(err as Error);
      this.#settle(record, failure, abort, new Set(), inFlight);
      return;
    }
    const runDeps = (emit: RunDeps['emit']): RunDeps => ({
      store: this.#store,
      invoker: backend.invoker,
      objects: backend.objects,
      log: this.#log,
      emit,
      childRecord: (requestId, functionName, report, failed) =>
        this.#invocations.record(requestId) ?? backend.childRecord?.(functionName, `job:${record.id}`, report, failed),
      takeLogLines: (requestId) => this.#invocations.takeLines(requestId),
      ensureFunctions: (names) => this.#ensureFunctions(backend, names),
      signal: abort.signal,
      reports: this.#reports,
      secrets: this.#secrets,
      localReads: backend.name === LOCAL && this.#grantFiles !== undefined,
      inFlight,
    });
    const running = record.spec.stages
      ? runPipeline(
          record,
          {
            store: this.#store,
            objects: backend.objects,
            signal: abort.signal,
            emit: (r, body) => this.#emit(r, body),
            runStage: (run, resumed, forward) =>
              runJob(
                run,
                runDeps((_r, body) => forward(body)),
                resumed,
              ).catch((err: unknown) => {
                this.#settleFailed(run, err, abort.signal);
                throw err;
              }),
          },
          start,
        )
      : runJob(
          record,
          runDeps((r, body) => this.#emit(r, body)),
          start.resumed,
        );
    this.#settle(record, running, abort, new Set(['cascade', 'reducer', ...functionsOf(record.spec)]), inFlight);
  }

  /**
   * Records the end of a launched run, whatever it is, and keeps it in the running set until then; then
   * cleans it up (in the background: `inFlight` invocations that outlived their stage end first).
   */
  #settle(
    record: JobRecord,
    running: Promise<unknown>,
    abort: AbortController,
    functions: Set<string>,
    inFlight: Set<Promise<unknown>>,
  ): void {
    const done = running.then(
      () => record,
      (err: unknown) => {
        const error = this.#settleFailed(record, err, abort.signal);
        if (error.code === 'JobInterrupted') this.#log.info('job interrupted', { jobId: record.id });
        else this.#log.warn('job failed', { jobId: record.id, code: error.code, err });
        this.#emit(record, { type: 'job.failed', error });
        return record;
      },
    );
    const entry = {
      done: done.finally(() => {
        // An interrupted run stays recorded as running: it resumes with its intermediates at the next start.
        if (!abort.signal.aborted) {
          // Until its invocations still running have ended (and been billed to it), its intermediates stay.
          this.#settling.set(record.id, abort);
          this.#cleanup.finished(record, inFlight).then(() => {
            if (this.#settling.get(record.id) === abort) this.#settling.delete(record.id);
            return this.#cleanup.prune();
          });
        }
        this.#running.delete(record.id);
      }),
      abort,
      functions,
    };
    this.#running.set(record.id, entry);
  }

  /**
   * Closes the cost reports the engine left pending when it stopped (even by kill -9) before the
   * invocations they waited for ended: what was billed until then stays, the rest is counted `cutOff`.
   */
  #closeCutOffCosts(): void {
    for (const record of this.#store.pendingCosts()) {
      if (record.cost) record.cost = closeCutOff(record.cost);
      for (const stage of record.pipeline ?? []) if (stage.cost) stage.cost = closeCutOff(stage.cost);
      this.#store.update(record);
      if (record.cost && record.status !== 'running') this.#emit(record, { type: 'cost', cost: record.cost });
    }
  }

  /** Records a job (or a pipeline stage's run) as failed with the error that ended it. */
  #settleFailed(record: JobRecord, err: unknown, signal: AbortSignal): { code: string; message: string } {
    const error = signal.aborted
      ? {
          code: 'JobInterrupted',
          message: 'the engine stopped while the job ran; it resumes when the engine starts again',
        }
      : { code: (err as { code?: string }).code ?? 'JobFailed', message: (err as Error).message ?? String(err) };
    // Provisional figures end with the run (a record saved mid-run still holds those of its last save).
    record.counters.running = { bytes: 0, words: 0, lines: 0, keys: 0 };
    record.status = 'failed';
    record.error = error;
    record.finishedAt = Date.now();
    // An interrupted job stays recorded as running, so the next start resumes it.
    if (!signal.aborted) this.#store.update(record);
    else this.#store.update({ ...record, status: 'running', error: null, finishedAt: null });
    return error;
  }

  /**
   * Deploys the built-ins among `names`, then makes sure every name is a function, so a job over
   * a function deleted since it was submitted fails at once instead of retrying each task.
   * @throws ResourceNotFound.
   */
  async #ensureFunctions(backend: JobBackend, names: string[]): Promise<void> {
    await this.#builtinsOf(backend).ensure(names);
    for (const name of names) {
      if (!(await backend.functions.has(name)))
        throw new ResourceNotFound(
          `Function not found: ${name}${backend.name === LOCAL ? '' : ` on target ${backend.name}`}`,
        );
    }
  }

  /** The backend a spec runs on: this engine, or the scale-out target it names. @throws ResourceNotFound. */
  #backendOf(spec: Pick<JobSpec, 'target'>): JobBackend {
    const target = spec.target ?? LOCAL;
    if (target === LOCAL)
      return { name: LOCAL, invoker: this.#invoker, objects: this.#objects, functions: this.#functions };
    if (!this.#backends) throw new ResourceNotFound(`Target not found: ${target}`);
    return this.#backends(target);
  }

  /** Built-ins are deployed to each target on first use, once per content hash. */
  #builtinsOf(backend: JobBackend): Builtins {
    if (backend.name === LOCAL) return this.#builtins;
    let builtins = this.#remoteBuiltins.get(backend.name);
    if (!builtins) {
      builtins = new Builtins(this.#context.db, this.#context.dataDir, backend.functions, backend.name);
      this.#remoteBuiltins.set(backend.name, builtins);
    }
    return builtins;
  }

  /**
   * Records an event and publishes it once stored. Events emitted in one turn of the event loop (a
   * commit's thousands of per-object results) are stored in one transaction at the end of the turn,
   * then published in order; whatever runs next (a follower's replay, an HTTP request) sees them stored.
   */
  #emit(record: JobRecord, body: EventBody): void {
    const seq = (this.#seq.get(record.id) ?? this.#store.lastSeq(record.id)) + 1;
    this.#seq.set(record.id, seq);
    const event = { ...body, jobId: record.id, seq, at: Date.now(), counters: { ...record.counters } } as JobEvent;
    this.#unstored.push(event);
    if (this.#unstored.length === 1) queueMicrotask(() => this.#storeEvents());
  }

  #storeEvents(): void {
    const events = this.#unstored.splice(0);
    try {
      this.#store.appendEvents(events);
    } catch (err) {
      // Thrown here it would be an uncaught exception that ends the server; the job's state lives in
      // its record and manifest, so only late subscribers' replay misses these events.
      this.#log.error('cannot store job events', { jobId: events[0]?.jobId, count: events.length, err });
    }
    for (const event of events) this.events.publish(event);
  }
}

/** Every function a job or pipeline names (mappers and reducers). */
function functionsOf(spec: JobSpec): string[] {
  const stages = spec.stages ?? [spec];
  return [...new Set(stages.flatMap((s) => [s.mapper, ...(s.reducer ? [s.reducer] : [])]))];
}
