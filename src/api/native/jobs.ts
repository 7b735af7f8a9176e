import { BGZIP_INDEX_SUFFIX, encodeBgzip, type JobRecord, type JobSpec } from '../../jobs/index.js';
import { InvalidParameterValue } from '../../shared/errors.js';
import { readJsonObject, sendJson } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import { openSse } from '../sse.js';
import type { BgzipAnswer, BgzipRequest, JobList } from './contract.js';

/**
 * Jobs under /_lambdata/jobs: check and submit (POST), list and read (GET), follow the list live (GET
 * /jobs/events, SSE: a `job` event with the job's brief record whenever one starts, moves or ends), follow
 * one live (GET …/events, SSE: the events so far, then live ones, ending with `job.completed` or
 * `job.failed`), resume a failed job (POST …/resume), rerun one pipeline stage (POST
 * …/stages/:stage/rerun), take a running mapper's progress report (POST …/progress), grant it local reads (POST …/reads), and write a text
 * object as splittable bgzip (POST /jobs/bgzip).
 */
export const routes: Route[] = [
  { method: 'POST', path: '/jobs', handler: submitJob },
  { method: 'GET', path: '/jobs', handler: listJobs },
  { method: 'POST', path: '/jobs/bgzip', handler: writeBgzip },
  { method: 'GET', path: '/jobs/events', handler: followJobs },
  { method: 'GET', path: '/jobs/:id', handler: getJob },
  { method: 'GET', path: '/jobs/:id/events', handler: followJob },
  { method: 'POST', path: '/jobs/:id/resume', handler: resumeJob },
  { method: 'POST', path: '/jobs/:id/progress', handler: reportProgress },
  { method: 'POST', path: '/jobs/:id/reads', handler: grantReads },
  { method: 'POST', path: '/jobs/:id/stages/:stage/rerun', handler: rerunStage },
];

async function submitJob({ engine, req, res }: RouteContext): Promise<void> {
  const spec = await readJsonObject<JobSpec>(req);
  await engine.jobs.check(spec);
  sendJson(res, 201, engine.jobs.submit(spec));
}

function listJobs({ engine, res, url }: RouteContext): void {
  const limit = Number(url.searchParams.get('limit') ?? 100);
  const jobs = engine.jobs.list(Number.isFinite(limit) && limit > 0 ? limit : 100).map(brief);
  sendJson(res, 200, { jobs } satisfies JobList);
}

function getJob({ engine, res, params }: RouteContext): void {
  sendJson(res, 200, engine.jobs.get(params.id ?? ''));
}

function resumeJob({ engine, res, params }: RouteContext): void {
  sendJson(res, 200, engine.jobs.resume(params.id ?? ''));
}

/** Changes that always reach the list; progress in between is sent at most every LIST_UPDATE_MS per job. */
const LIST_EVENTS = new Set(['job.started', 'keys.listed', 'job.completed', 'job.failed']);
const LIST_UPDATE_MS = 1_000;

function followJobs({ engine, req, res }: RouteContext): void {
  const sse = openSse(req, res);
  const sent = new Map<string, number>();
  const stop = engine.jobs.events.subscribe((event) => {
    const now = Date.now();
    if (!LIST_EVENTS.has(event.type) && now - (sent.get(event.jobId) ?? 0) < LIST_UPDATE_MS) return;
    sent.set(event.jobId, now);
    if (event.type === 'job.completed' || event.type === 'job.failed') sent.delete(event.jobId);
    // The event is newer than the stored record (a run saves after it publishes): its status and counters win.
    const job = brief(engine.jobs.get(event.jobId));
    job.counters = event.counters;
    if (event.type === 'job.completed') job.status = 'succeeded';
    if (event.type === 'job.failed') job.status = 'failed';
    sse.send('job', job);
  });
  sse.onClose(stop);
}

/** A running mapper's provisional progress (functions reach the engine only over HTTP). */
async function reportProgress({ engine, req, res, params }: RouteContext): Promise<void> {
  engine.jobs.report(params.id ?? '', await readJsonObject(req));
  res.writeHead(204).end();
}

/** A running mapper's short-circuit read grant: its input objects as read-only files in its sandbox. */
async function grantReads({ engine, req, res, params }: RouteContext): Promise<void> {
  sendJson(res, 200, engine.jobs.grantReads(params.id ?? '', await readJsonObject(req)));
}

function rerunStage({ engine, res, params }: RouteContext): void {
  sendJson(res, 200, engine.jobs.rerunStage(params.id ?? '', Number(params.stage)));
}

function followJob({ engine, req, res, url, params }: RouteContext): void {
  const id = params.id ?? '';
  engine.jobs.get(id); // 404 before the stream opens
  // ?types=a,b: only those events are sent (a CLI waiting for the end skips thousands of object.result).
  const types = url.searchParams.get('types');
  const wanted = types === null ? undefined : new Set(types.split(','));
  const sse = openSse(req, res);
  const stop = engine.jobs.follow(
    id,
    (event) => {
      if (!wanted || wanted.has(event.type)) sse.send(event.type, event, event.seq);
    },
    () => sse.close(),
  );
  sse.onClose(stop);
}

async function writeBgzip({ engine, req, res }: RouteContext): Promise<void> {
  const body = await readJsonObject<Partial<BgzipRequest>>(req);
  if (!body.bucket || !body.key) throw new InvalidParameterValue('bucket and key are required');
  const blockSize = body.blockSize ?? 4 * 1024 * 1024;
  if (!Number.isInteger(blockSize) || blockSize < 1)
    throw new InvalidParameterValue('blockSize must be a positive integer');
  const target = body.target ?? `${body.key.replace(/\.gz$/, '')}.gz`;
  const objects = engine.objects;
  const { body: stream } = await objects.getObject(body.bucket, body.key);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const { data, index } = encodeBgzip(Buffer.concat(chunks), blockSize);
  await objects.putObject(body.bucket, target, data);
  await objects.putObject(body.bucket, target + BGZIP_INDEX_SUFFIX, JSON.stringify(index));
  sendJson(res, 201, {
    bucket: body.bucket,
    key: target,
    indexKey: target + BGZIP_INDEX_SUFFIX,
    members: index.members.length,
    size: index.size,
    rawSize: index.rawSize,
  } satisfies BgzipAnswer);
}

/** A job without its bulky per-object results, for listings. */
function brief(job: JobRecord): JobRecord {
  if (!job.result) return job;
  const { perObject: _p, matches: _m, ...rest } = job.result;
  return { ...job, result: rest };
}
