/** One job, live: counters that fill toward complete, a log pane, the scatter and throughput charts, results and cost. */
import type { CostReport, JobCounters, JobEvent, JobRecord, JobResult } from '../../api/native/contract.js';
import { api, apiUrl, keyPath, stream } from '../api.js';
import { ScatterPlot, type ScatterPoint, ThroughputChart } from '../charts.js';
import { bytes, FrameQueue, h, human, num, replace, table, usd } from '../dom.js';
import { errorBox, type Page } from './page.js';
import { stagesPanel } from './pipeline-stages.js';

const EVENT_TYPES: JobEvent['type'][] = [
  'job.started',
  'keys.listed',
  'stage.started',
  'task.dispatched',
  'task.done',
  'task.retried',
  'progress',
  'object.result',
  'warning',
  'log',
  'cost',
  'job.completed',
  'job.failed',
  'pipeline.stage.started',
  'pipeline.stage.completed',
  'pipeline.stage.failed',
];
const MAX_LOG_LINES = 1000;
const MAX_TABLE_ROWS = 500;
const MIB = 1024 * 1024;
/** How often a finished job's page reads its cost again while invocations it started still run. */
const LATE_COST_POLL_MS = 1000;

interface Box {
  el: HTMLElement;
  /** Shows `text` (short, human units) with `exact` on hover, filled to `fraction`. */
  set(text: string, fraction: number | null, exact?: string): void;
}

/** Renders the live job page (`#/jobs/<id>`); a rerun of a pipeline stage renders it afresh to follow the new run. */
export const renderJob: Page = (root, params) => {
  let cleanup: (() => void) | undefined;
  const restart = () => {
    cleanup?.();
    root.replaceChildren();
    cleanup = renderOnce(root, params[0] ?? '', restart);
  };
  cleanup = renderOnce(root, params[0] ?? '', restart);
  return () => cleanup?.();
};

function renderOnce(root: HTMLElement, rawId: string, restart: () => void): () => void {
  const id = decodeURIComponent(rawId);
  const status = h('span', { class: 'status running', id: 'job-status' }, 'loading');
  const specLine = h('p', { class: 'muted' });
  const boxes = {
    keys: box('Keys done', 'keys'),
    tasks: box('Tasks done / dispatched', 'tasks'),
    words: box('Words', 'words'),
    lines: box('Lines', 'lines'),
    bytes: box('Bytes', 'bytes'),
    billed: box('Billed ms', 'billed'),
    cost: box('Cost', 'cost'),
  };
  const logPane = h('div', {
    class: 'log job-log',
    id: 'job-log',
    tabindex: '0',
    role: 'log',
    'aria-label': 'Job log',
  });
  const scatterPanel = h(
    'section',
    { class: 'panel chart-panel', hidden: true },
    h('h2', {}, 'Words vs lines per object'),
  );
  const scatterBox = h('div', { id: 'scatter' });
  scatterPanel.append(scatterBox);
  const throughputBox = h('div', { id: 'throughput' });
  const results = h('section', { id: 'job-results', 'aria-live': 'polite' });
  const stages = stagesPanel(id, restart);
  root.append(
    h('p', {}, h('a', { href: '#/jobs' }, '← Jobs')),
    h('h1', {}, 'Job ', h('code', {}, id), ' ', status),
    specLine,
    h('section', { class: 'tiles counters', 'aria-label': 'Job counters' }, ...Object.values(boxes).map((b) => b.el)),
    stages.el,
    h(
      'div',
      { class: 'grid2' },
      scatterPanel,
      h('section', { class: 'panel chart-panel' }, h('h2', {}, 'Throughput'), throughputBox),
    ),
    h('h2', {}, 'Log'),
    logPane,
    results,
  );
  const scatter = new ScatterPlot(scatterBox);
  const throughput = new ThroughputChart(throughputBox);
  const frame = new FrameQueue();
  let counters: JobCounters | undefined;
  let startedAt = 0;
  let lastSeq = 0;
  /** Set at a terminal event; the server then ends the stream, and the page does not reconnect. */
  let ended = false;
  const pendingPoints: ScatterPoint[] = [];
  const pendingLog: Array<[string, string]> = [];

  const paintCounters = () => {
    if (!counters) return;
    const c = counters;
    // Committed figures plus the provisional ones of running attempts (the commit replaces them).
    const run = c.running ?? { bytes: 0, words: 0, lines: 0, keys: 0 };
    const done = { bytes: c.bytes + run.bytes, words: c.words + run.words, lines: c.lines + run.lines };
    const keys = Math.min(c.keysDone + run.keys, c.keysTotal ?? Number.POSITIVE_INFINITY);
    const byteFraction = c.bytesTotal ? done.bytes / c.bytesTotal : null;
    boxes.keys.set(
      `${human(keys)} / ${human(c.keysTotal)}`,
      c.keysTotal ? keys / c.keysTotal : null,
      `${num(keys)} / ${num(c.keysTotal)}`,
    );
    boxes.tasks.set(
      `${human(c.tasksDone)} / ${human(c.tasksDispatched)}`,
      c.tasksDispatched ? c.tasksDone / c.tasksDispatched : null,
      `${num(c.tasksDone)} / ${num(c.tasksDispatched)}`,
    );
    boxes.words.set(human(done.words), byteFraction, num(done.words));
    boxes.lines.set(human(done.lines), byteFraction, num(done.lines));
    boxes.bytes.set(
      `${bytes(done.bytes)}${c.bytesTotal === null ? '' : ` / ${bytes(c.bytesTotal)}`}`,
      byteFraction,
      `${num(done.bytes)}${c.bytesTotal === null ? '' : ` / ${num(c.bytesTotal)}`} bytes`,
    );
    boxes.billed.set(human(c.billedMs), byteFraction, `${num(c.billedMs)} ms`);
    boxes.cost.set(usd(c.costUsd), byteFraction);
  };
  const flushLog = () => {
    const stick = logPane.scrollTop + logPane.clientHeight >= logPane.scrollHeight - 4;
    logPane.append(...pendingLog.splice(0).map(([kind, text]) => h('div', { class: `line ${kind}` }, text)));
    while (logPane.childElementCount > MAX_LOG_LINES) logPane.firstElementChild?.remove();
    if (stick) logPane.scrollTop = logPane.scrollHeight;
  };
  const log = (kind: string, text: string, at: number) => {
    pendingLog.push([kind, `${new Date(at).toLocaleTimeString()}  ${text}`]);
    frame.schedule('log', flushLog);
  };

  const onEvent = (data: unknown) => {
    const e = data as JobEvent;
    if (e.seq <= lastSeq) return; // a reconnect replays from the start
    lastSeq = e.seq;
    counters = e.counters;
    frame.schedule('counters', paintCounters);
    stages.onEvent(e);
    switch (e.type) {
      case 'job.started':
        // A resumed job or a rerun stage replays an earlier end before this start: the job runs again.
        ended = false;
        if (e.seq > 1) setStatus('running');
        startedAt = e.at;
        throughput.push(0, 0);
        log(
          'info',
          `started ${e.spec.mapper} on ${e.spec.input.bucket}/${e.spec.input.prefix ?? ''}${e.resumed ? ' (resumed)' : ''}`,
          e.at,
        );
        break;
      case 'keys.listed':
        log(
          'info',
          `listed ${num(e.keys)} objects, ${bytes(e.bytes)} in ${num(e.splits)} splits → ${num(e.tasks)} tasks`,
          e.at,
        );
        break;
      case 'progress':
        // The engine's rate over a sliding window (never over a tiny interval, so no spikes).
        if (startedAt) {
          throughput.push((e.at - startedAt) / 1000, e.bytesPerSecond / MIB);
          frame.schedule('throughput', () => throughput.draw());
        }
        break;
      case 'stage.started':
        log('info', `stage ${e.stage}: ${num(e.tasks)} tasks`, e.at);
        break;
      case 'task.retried':
        log('warn', `task ${e.taskId} retried (attempt ${e.attempt}): ${e.reason}`, e.at);
        break;
      case 'object.result':
        scatterPanel.hidden = false;
        pendingPoints.push({ key: e.key, words: e.counts.words, lines: e.counts.lines });
        frame.schedule('scatter', () => scatter.add(pendingPoints.splice(0)));
        break;
      case 'warning':
        log('warn', `warning: ${e.message}`, e.at);
        break;
      case 'pipeline.stage.started':
        log('info', `pipeline stage ${e.pipelineStage} of ${e.stages}: ${e.mapper}${e.rerun ? ' (rerun)' : ''}`, e.at);
        break;
      case 'pipeline.stage.completed':
        log('info', `pipeline stage ${e.pipelineStage} completed, ${usd(e.cost.lambdaUsd)}`, e.at);
        break;
      case 'pipeline.stage.failed':
        log('error', `pipeline stage ${e.pipelineStage} failed: ${e.error.code}: ${e.error.message}`, e.at);
        break;
      case 'log':
        log('info', `${e.functionName}${e.requestId ? ` ${e.requestId.slice(0, 8)}` : ''}: ${e.message}`, e.at);
        break;
      case 'job.completed':
        setStatus('succeeded');
        log(
          'info',
          `completed: ${num(e.result.totals.words)} words, ${num(e.result.totals.lines)} lines, ${num(e.result.totals.bytes)} bytes`,
          e.at,
        );
        frame.schedule('results', () => replace(results, resultsView(e.result, e.cost)));
        if (e.cost.pending) followLateCost();
        ended = true;
        break;
      case 'job.failed':
        setStatus('failed');
        log('error', `failed: ${e.error.code}: ${e.error.message}`, e.at);
        frame.schedule('results', () => replace(results, resumeView(id)));
        ended = true;
        break;
      default:
        break;
    }
  };
  const setStatus = (s: string) => {
    status.textContent = s;
    status.className = `status ${s}`;
  };
  // Invocations still running at the end are billed when they end: the record's cost is read again until final.
  let lateTimer: ReturnType<typeof setTimeout> | undefined;
  const followLateCost = () => {
    lateTimer = setTimeout(() => {
      api<JobRecord>(`/jobs/${encodeURIComponent(id)}`)
        .then((job) => {
          const shown = results.querySelector('#job-cost');
          if (job.cost && shown) shown.replaceWith(costView(job.cost));
          if (job.cost?.pending) followLateCost();
        })
        .catch(() => followLateCost());
    }, LATE_COST_POLL_MS);
  };
  const source = stream(
    `/jobs/${encodeURIComponent(id)}/events`,
    Object.fromEntries(EVENT_TYPES.map((t) => [t, onEvent])),
  );
  source.addEventListener('error', () => {
    if (ended) source.close();
  });
  api<JobRecord>(`/jobs/${encodeURIComponent(id)}`)
    .then((job) => {
      if (status.textContent === 'loading') setStatus(job.status);
      stages.setRecord(job);
      const s = job.spec;
      const options = [
        s.mode ?? 'aggregate',
        s.splitSize ? `split ${bytes(s.splitSize)}` : '',
        s.fanout ? `fan-out ${s.fanout}` : '',
        s.params ? JSON.stringify(s.params) : '',
      ].filter(Boolean);
      specLine.textContent = `${s.mapper} on ${s.input.bucket}/${s.input.prefix ?? ''} · ${options.join(' · ')} · started ${new Date(job.createdAt).toLocaleString()}`;
    })
    .catch((err) => {
      source.close();
      if ((err as { status?: number }).status === 404) {
        setStatus('not found');
        specLine.textContent = `There is no job ${id} on this server.`;
      } else setStatus('error');
      replace(results, errorBox(err));
    });
  return () => {
    source.close();
    clearTimeout(lateTimer);
  };
}

/** A failed job can be resumed: committed tasks are kept, the rest run again. */
function resumeView(id: string): HTMLElement {
  const button = h('button', { type: 'button', id: 'job-resume' }, 'Resume job');
  const status = h('span', { 'aria-live': 'polite' });
  button.addEventListener('click', () => {
    button.disabled = true;
    api<JobRecord>(`/jobs/${encodeURIComponent(id)}/resume`, { method: 'POST' })
      // The event stream of a job ends at its first terminal event, so a resumed run is not followed live here.
      .then((job) => replace(status, `Resumed: ${job.status}. Its progress shows in the job list.`))
      .catch((err) => {
        button.disabled = false;
        replace(status, errorBox(err));
      });
  });
  return h('div', { class: 'panel actions' }, button, status);
}

function box(label: string, id: string): Box {
  const value = h('span', { class: 'value', id: `counter-${id}` }, '—');
  const el = h('div', { class: 'tile counter' }, h('span', { class: 'label' }, label), value);
  return {
    el,
    set(text, fraction, exact) {
      value.textContent = text;
      value.title = exact ?? text;
      const pct = fraction === null ? 0 : Math.max(0, Math.min(1, fraction)) * 100;
      el.style.setProperty('--fill', `${pct.toFixed(1)}%`);
      el.classList.toggle('complete', fraction !== null && fraction >= 1);
    },
  };
}

function resultsView(result: JobResult, cost: CostReport): HTMLElement {
  const parts: HTMLElement[] = [h('h2', {}, 'Results')];
  parts.push(
    h(
      'p',
      { id: 'job-totals' },
      `${num(result.objects)} objects · ${num(result.totals.words)} words · ${num(result.totals.lines)} lines · ${num(result.totals.bytes)} bytes`,
    ),
  );
  if (result.top?.length) {
    parts.push(
      table(
        ['Word', 'Count'],
        result.top.map(([w, c]) => [w, num(c)]),
        `Top words (${num(result.distinctWords)} distinct)`,
      ),
    );
  }
  if (result.perObject) {
    const rows = Object.entries(result.perObject).sort((a, b) => b[1].words - a[1].words);
    parts.push(
      table(
        ['Object', 'Words', 'Lines', 'Bytes'],
        rows.slice(0, MAX_TABLE_ROWS).map(([k, c]) => [k, num(c.words), num(c.lines), num(c.bytes)]),
        rows.length > MAX_TABLE_ROWS ? `Per object (largest ${MAX_TABLE_ROWS} of ${num(rows.length)})` : 'Per object',
      ),
    );
  }
  if (result.matches) {
    parts.push(
      table(
        ['Object', 'Line', 'Text'],
        result.matches.slice(0, MAX_TABLE_ROWS).map((m) => [m.key, num(m.line), h('code', {}, m.text)]),
        `Matches (${num(result.matches.length)})`,
      ),
    );
  }
  if (result.custom !== undefined) parts.push(h('pre', { class: 'payload' }, JSON.stringify(result.custom, null, 2)));
  if (result.output) {
    const { bucket } = result.output;
    const link = (key: string) =>
      h(
        'li',
        {},
        h('a', { href: apiUrl(`/buckets/${encodeURIComponent(bucket)}/objects/${keyPath(key)}?download=1`) }, key),
      );
    parts.push(
      h('h3', {}, 'Output'),
      h('ul', { class: 'outputs' }, link(result.output.summaryKey), ...result.output.keys.map(link)),
    );
  }
  parts.push(costView(cost));
  return h('div', { class: 'panel' }, ...parts);
}

function costView(cost: CostReport): HTMLElement {
  const c = cost.cluster;
  return h(
    'div',
    { class: 'cost', id: 'job-cost' },
    h('h3', {}, 'Cost: Lambda vs cluster'),
    table(
      ['', 'Lambda', `Cluster (${c.instances} × ${c.instanceType})`],
      [
        [
          'Billed',
          `${num(cost.invocations)} invocations, ${num(cost.billedMs)} ms, ${cost.gbSeconds.toFixed(3)} GB-s`,
          `${num(c.billedSeconds)} s at $${c.pricePerHour}/h each (min ${c.minimumSeconds} s)`,
        ],
        ['Cost', usd(cost.lambdaUsd), usd(c.usd)],
      ],
    ),
    h(
      'p',
      { class: 'muted' },
      `Wall time ${(cost.wallMs / 1000).toFixed(2)} s. ${cost.lambdaUsd < c.usd ? `Lambda is ${(c.usd / Math.max(cost.lambdaUsd, 1e-12)).toFixed(0)}× cheaper for this job.` : 'The cluster is cheaper for this job.'}`,
    ),
    ...(cost.pending
      ? [
          h(
            'p',
            { class: 'muted', id: 'job-cost-pending' },
            `Not final: ${num(cost.pending)} invocations the job started (a straggler's backup or its twin) still run; their cost is added when they end.`,
          ),
        ]
      : []),
    ...(cost.cutOff
      ? [
          h(
            'p',
            { class: 'muted' },
            `${num(cost.cutOff)} invocations were still running when the engine stopped: only what was billed before the stop is counted.`,
          ),
        ]
      : []),
  );
}
