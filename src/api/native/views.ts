import { InvalidParameterValue } from '../../shared/errors.js';
import { CodeDirs } from '../code-dirs.js';
import { readJsonObject, sendJson } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import { openSse } from '../sse.js';
import type {
  CreateDatasetRequest,
  CreateViewRequest,
  DatasetList,
  RecomputeAnswer,
  RecomputeRequest,
  ViewDetail,
  ViewList,
} from './contract.js';

/**
 * The Lambda Architecture under /_lambdata: datasets (master datasets archiving a stream), views
 * (batch ⊕ speed), queries, recomputes, and the live change stream of views (SSE).
 */
export const routes: Route[] = [
  { method: 'GET', path: '/datasets', handler: listDatasets },
  { method: 'POST', path: '/datasets', handler: createDataset },
  { method: 'GET', path: '/datasets/:name', handler: getDataset },
  { method: 'GET', path: '/views', handler: listViews },
  { method: 'POST', path: '/views', handler: createView },
  { method: 'GET', path: '/views/events', handler: followViews },
  { method: 'GET', path: '/views/:name', handler: getView },
  { method: 'GET', path: '/views/:name/query', handler: queryView },
  { method: 'POST', path: '/views/:name/recompute', handler: recomputeView },
];

function listDatasets({ engine, res }: RouteContext): void {
  sendJson(res, 200, { datasets: engine.views.listDatasets() } satisfies DatasetList);
}

async function createDataset({ engine, req, res }: RouteContext): Promise<void> {
  const body = await readJsonObject<CreateDatasetRequest>(req);
  sendJson(res, 201, engine.views.createDataset(body));
}

function getDataset({ engine, res, params }: RouteContext): void {
  sendJson(res, 200, engine.views.dataset(params.name ?? ''));
}

function listViews({ engine, res }: RouteContext): void {
  sendJson(res, 200, { views: engine.views.listViews() } satisfies ViewList);
}

/**
 * A view module named by path is bundled from a file on the server's machine, so over HTTP it is held
 * to the deploy rule: only files under the operator's `--allow-code-dir` directories (403 otherwise).
 */
async function createView({ engine, req, res, codeDirs }: RouteContext): Promise<void> {
  const body = await readJsonObject<CreateViewRequest>(req);
  const checked =
    typeof body.code === 'string' ? { ...body, code: (codeDirs ?? new CodeDirs()).check(body.code) } : body;
  sendJson(res, 201, await engine.views.createView(checked));
}

function getView({ engine, res, params }: RouteContext): void {
  const name = params.name ?? '';
  sendJson(res, 200, { ...engine.views.view(name), top: engine.views.top(name) } satisfies ViewDetail);
}

function queryView({ engine, res, params, url }: RouteContext): void {
  const q = url.searchParams;
  const key = q.get('key');
  if (key === null) throw new InvalidParameterValue('query needs ?key=');
  const version = q.get('version');
  sendJson(
    res,
    200,
    engine.views.query(params.name ?? '', key, {
      from: time(q.get('from'), 'from'),
      to: time(q.get('to'), 'to'),
      version: version === null ? undefined : integer(version, 'version'),
    }),
  );
}

async function recomputeView({ engine, req, res, params }: RouteContext): Promise<void> {
  const body = await readJsonObject<RecomputeRequest>(req);
  const started = await engine.views.recompute(params.name ?? '', { incremental: body.incremental === true });
  started.done.catch(() => undefined);
  sendJson(res, 202, { view: started.view, jobId: started.jobId } satisfies RecomputeAnswer);
}

function followViews({ engine, req, res }: RouteContext): void {
  const sse = openSse(req, res);
  for (const view of engine.views.listViews()) sse.send('view', view);
  const stop = engine.views.events.subscribe((event) => {
    if (event.type === 'view') sse.send('view', event.view);
    else sse.send('recompute', event.recompute);
  });
  sse.onClose(stop);
}

/** A time parameter: epoch ms or ISO-8601. */
function time(text: string | null, name: string): number | undefined {
  if (text === null || text === '') return undefined;
  const ms = /^-?\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new InvalidParameterValue(`${name} must be epoch milliseconds or ISO-8601: ${text}`);
  return ms;
}

function integer(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidParameterValue(`${name} must be a positive integer`);
  return n;
}
