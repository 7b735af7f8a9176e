/** Overview: functions, invocation rate, errors, throttles, concurrency, cost and recent jobs, live. */
import type {
  BillingAnswer,
  ConcurrencyAnswer,
  FunctionList,
  InvocationRecord,
  InvocationsAnswer,
  JobList,
  JobRecord,
} from '../../api/native/contract.js';
import { api, stream } from '../api.js';
import { FrameQueue, h, num, replace, table, time, usd } from '../dom.js';
import { errorBox, type Page } from './page.js';

const RATE_WINDOW_MS = 10_000;
const JOBS_REFRESH_MS = 1_000;

/** Renders the overview page. */
export const renderOverview: Page = (root) => {
  const tiles = {
    functions: tile('Functions'),
    rate: tile('Invocations / s (10 s)'),
    invocations: tile('Invocations'),
    errors: tile('Errors (recent)'),
    throttles: tile('Throttles (recent)'),
    concurrency: tile('Concurrency in use / limit'),
    queue: tile('Async queue depth'),
    cost: tile('Cost so far'),
  };
  const jobs = h('div', { class: 'panel' }, 'Loading…');
  const recent = h('div', { class: 'panel' });
  root.append(
    h('h1', {}, 'Overview'),
    h('section', { class: 'tiles', 'aria-label': 'Engine figures' }, ...Object.values(tiles).map((t) => t.el)),
    h('h2', {}, 'Recent jobs'),
    jobs,
    h('h2', {}, 'Latest invocations'),
    recent,
  );
  const state = {
    invocations: 0,
    errors: 0,
    throttles: 0,
    cost: 0,
    times: [] as number[],
    latest: [] as InvocationRecord[],
  };
  const frame = new FrameQueue();
  const paint = () => {
    const now = Date.now();
    state.times = state.times.filter((t) => now - t < RATE_WINDOW_MS);
    tiles.rate.set((state.times.length / (RATE_WINDOW_MS / 1000)).toFixed(1));
    tiles.invocations.set(num(state.invocations));
    tiles.errors.set(num(state.errors));
    tiles.throttles.set(num(state.throttles));
    tiles.cost.set(usd(state.cost));
    replace(recent, invocationTable(state.latest));
  };
  Promise.all([
    api<FunctionList>('/functions'),
    api<BillingAnswer>('/billing'),
    api<InvocationsAnswer>('/invocations?limit=200'),
    api<JobList>('/jobs?limit=10'),
  ])
    .then(([fns, billing, inv, jobList]) => {
      tiles.functions.set(num(fns.functions.length));
      state.invocations = billing.invocations;
      state.cost = billing.totalCostUsd;
      for (const r of inv.invocations) count(state, r, false);
      state.latest = inv.invocations.slice(0, 10);
      replace(jobs, jobsTable(jobList.jobs));
      paint();
    })
    .catch((err) => replace(jobs, errorBox(err)));
  const refreshConcurrency = () =>
    api<ConcurrencyAnswer>('/concurrency')
      .then((c) => {
        tiles.concurrency.set(`${num(c.inUse)} / ${num(c.limit)}`);
        tiles.queue.set(num(c.queueDepth));
      })
      .catch((err) => tiles.concurrency.set(String(err)));
  void refreshConcurrency();
  let jobsTimer: ReturnType<typeof setTimeout> | undefined;
  const refreshJobs = () =>
    api<JobList>('/jobs?limit=10')
      .then((r) => replace(jobs, jobsTable(r.jobs)))
      .catch((err) => replace(jobs, errorBox(err)));
  const source = stream('/invocations/stream', {
    invocation: (data) => {
      const record = data as InvocationRecord;
      count(state, record, true);
      state.latest = [record, ...state.latest].slice(0, 10);
      frame.schedule('paint', paint);
      // Concurrency changes only when invocations start or end: re-read it on each record, once per frame.
      frame.schedule('concurrency', () => void refreshConcurrency());
      // A job's invocations mean its counters moved: re-read the job list, at most once per JOBS_REFRESH_MS.
      if (record.trigger.startsWith('job:') && !jobsTimer) {
        jobsTimer = setTimeout(() => {
          jobsTimer = undefined;
          void refreshJobs();
        }, JOBS_REFRESH_MS);
      }
    },
  });
  // The rate decays when traffic stops: recompute it each second (local only, no request).
  const tick = setInterval(() => frame.schedule('paint', paint), 1_000);
  return () => {
    source.close();
    clearInterval(tick);
    clearTimeout(jobsTimer);
  };
};

function count(
  state: { invocations: number; errors: number; throttles: number; cost: number; times: number[] },
  r: InvocationRecord,
  live: boolean,
): void {
  if (live) {
    state.invocations++;
    state.cost += r.costUsd;
  }
  if (r.outcome === 'throttled') state.throttles++;
  else if (r.outcome !== 'success') state.errors++;
  if (Date.now() - (r.startedAt + r.durationMs) < RATE_WINDOW_MS) state.times.push(r.startedAt + r.durationMs);
}

function tile(label: string) {
  const value = h('span', { class: 'value' }, '—');
  const el = h('div', { class: 'tile' }, h('span', { class: 'label' }, label), value);
  return {
    el,
    set: (text: string) => {
      value.textContent = text;
    },
  };
}

/** A table of invocation records (shared with the functions page). */
export function invocationTable(records: InvocationRecord[]): HTMLElement {
  if (!records.length) return h('p', { class: 'muted' }, 'No invocations yet.');
  return table(
    ['Started', 'Function', 'Trigger', 'Duration', 'Billed', 'Memory', 'Init', 'Outcome'],
    records.map((r) => [
      time(r.startedAt),
      h('a', { href: `#/functions/${encodeURIComponent(r.functionName)}` }, r.functionName),
      r.trigger,
      `${r.durationMs.toFixed(2)} ms`,
      `${num(r.billedDurationMs)} ms`,
      `${r.maxMemoryUsedMb} / ${r.memorySizeMb} MB`,
      r.initDurationMs === null ? '—' : `${r.initDurationMs.toFixed(2)} ms`,
      h('span', { class: `outcome ${r.outcome}` }, r.outcome),
    ]),
  );
}

/** A table of jobs linking to their live pages (shared with the jobs page). */
export function jobsTable(jobs: JobRecord[]): HTMLElement {
  if (!jobs.length) return h('p', { class: 'muted' }, 'No jobs yet. ', h('a', { href: '#/jobs' }, 'Start one'));
  return table(
    ['Job', 'Mapper', 'Input', 'Status', 'Keys', 'Cost', 'Started'],
    jobs.map((j) => [
      h('a', { href: `#/jobs/${encodeURIComponent(j.id)}` }, j.id),
      j.pipeline?.length ? pipelineCell(j) : `${j.spec.mapper}${j.spec.mode === 'scatter' ? ' (scatter)' : ''}`,
      `${j.spec.input.bucket}/${j.spec.input.prefix ?? ''}`,
      h('span', { class: `status ${j.status}` }, j.status),
      `${num(j.counters.keysDone)} / ${num(j.counters.keysTotal)}`,
      usd(j.counters.costUsd),
      time(j.createdAt),
    ]),
  );
}

/** A pipeline in the jobs list: its stages' mappers in order, each marked with its status. */
function pipelineCell(job: JobRecord): HTMLElement {
  const stages = job.pipeline ?? [];
  const current = stages.find((s) => s.status === 'running' || s.status === 'failed');
  return h(
    'span',
    { class: 'pipeline-cell' },
    `pipeline (${stages.length} stages${current ? `, stage ${current.stage} ${current.status}` : ''}): `,
    ...stages.flatMap((s, i) => [
      ...(i > 0 ? [' → '] : []),
      h('span', { class: `stage-name ${s.status}`, title: `stage ${s.stage}: ${s.status}` }, s.mapper),
    ]),
  );
}
