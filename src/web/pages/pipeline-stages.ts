/**
 * A pipeline's stages on its job page: each stage's functions, status, live progress, cost and runs,
 * the whole pipeline's totals, and a button per stage that reruns it from its stored input (POST
 * /jobs/:id/stages/:n/rerun, the route `lambdata run --rerun ID --stage N` uses).
 */
import type { JobCounters, JobEvent, JobRecord, PipelineStageRecord } from '../../api/native/contract.js';
import { api } from '../api.js';
import { bytes, FrameQueue, h, human, num, replace, usd } from '../dom.js';
import { errorBox } from './page.js';

/** The stages panel of one pipeline job. */
export interface StagesPanel {
  el: HTMLElement;
  /** Takes the job's stored record (its stages, their costs and runs). */
  setRecord(record: JobRecord): void;
  /** Takes a live event of the job (stage events carry their stage's counters). */
  onEvent(event: JobEvent): void;
}

/** Events after which the stored record has news (a stage started, ended, or the pipeline did). */
const RECORD_EVENTS = new Set<JobEvent['type']>([
  'pipeline.stage.started',
  'pipeline.stage.completed',
  'pipeline.stage.failed',
  'job.completed',
  'job.failed',
]);

/**
 * Builds the panel (hidden until the job turns out to be a pipeline). `rerun(n)` is called once a
 * rerun of stage n was accepted, so the page can follow the new run.
 */
export function stagesPanel(jobId: string, rerun: (stage: number) => void): StagesPanel {
  const body = h('div', { id: 'pipeline-stages' });
  const status = h('div', { 'aria-live': 'polite' });
  const el = h('section', { class: 'panel', hidden: true }, h('h2', {}, 'Pipeline stages'), body, status);
  let record: JobRecord | undefined;
  let totals: JobCounters | undefined;
  const live = new Map<number, JobCounters>();
  const frame = new FrameQueue();
  const refetch = () =>
    api<JobRecord>(`/jobs/${encodeURIComponent(jobId)}`)
      .then((fresh) => panel.setRecord(fresh))
      .catch((err) => replace(status, errorBox(err)));

  const paint = () => {
    const stages = record?.pipeline;
    if (!record || !stages?.length) return;
    el.hidden = false;
    const running = record.status === 'running';
    const rows = stages.map((stage) => stageRow(stage, live.get(stage.stage) ?? stage.counters, running, onRerun));
    const cost = stages.reduce((sum, s) => sum + (s.cost?.lambdaUsd ?? 0), 0);
    const invocations = stages.reduce((sum, s) => sum + (s.cost?.invocations ?? 0), 0);
    const c = totals ?? record.counters;
    const totalRow = h(
      'tr',
      { class: 'totals', id: 'pipeline-totals' },
      h('th', { scope: 'row' }, 'Pipeline'),
      h('td', {}, `${stages.length} stages`),
      h('td', {}, h('span', { class: `status ${record.status}` }, record.status)),
      h('td', { title: `${num(c.bytes + (c.running?.bytes ?? 0))} bytes` }, progressText(c)),
      h('td', {}, `${num(c.tasksDone)} / ${num(c.tasksDispatched)}`),
      h('td', { title: `${num(invocations)} invocations` }, usd(running ? c.costUsd : cost || c.costUsd)),
      h('td', {}, num(stages.reduce((n, s) => n + s.runs, 0))),
      h('td', {}),
    );
    replace(
      body,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Stage', 'Functions', 'Status', 'Progress', 'Tasks', 'Cost', 'Runs', ''].map((t) =>
                h('th', { scope: 'col' }, t),
              ),
            ),
          ),
          h('tbody', {}, ...rows, totalRow),
        ),
      ),
    );
  };

  const onRerun = (stage: number, button: HTMLButtonElement) => {
    button.disabled = true;
    replace(status, `Rerunning stage ${stage}…`);
    api<JobRecord>(`/jobs/${encodeURIComponent(jobId)}/stages/${stage}/rerun`, { method: 'POST' })
      .then(() => rerun(stage))
      .catch((err) => {
        button.disabled = false;
        replace(status, errorBox(err));
      });
  };

  const panel: StagesPanel = {
    el,
    setRecord(fresh) {
      record = fresh;
      if (fresh.status !== 'running') live.clear();
      frame.schedule('stages', paint);
    },
    onEvent(event) {
      totals = event.counters;
      if (event.pipelineStage !== undefined && event.stageCounters) live.set(event.pipelineStage, event.stageCounters);
      if (RECORD_EVENTS.has(event.type)) {
        if (record && event.type === 'job.completed') record = { ...record, status: 'succeeded' };
        if (record && event.type === 'job.failed') record = { ...record, status: 'failed' };
        void refetch();
      }
      if (record) frame.schedule('stages', paint);
    },
  };
  return panel;
}

function stageRow(
  stage: PipelineStageRecord,
  counters: JobCounters | null,
  pipelineRunning: boolean,
  onRerun: (stage: number, button: HTMLButtonElement) => void,
): HTMLElement {
  const button = h(
    'button',
    { type: 'button', class: 'rerun', 'data-stage': String(stage.stage) },
    `Rerun stage ${stage.stage}`,
  );
  button.disabled = pipelineRunning;
  button.addEventListener('click', () => onRerun(stage.stage, button));
  const c = counters;
  return h(
    'tr',
    { class: 'stage', 'data-stage': String(stage.stage) },
    h('th', { scope: 'row' }, String(stage.stage)),
    h('td', {}, stage.reducer ? `${stage.mapper} → ${stage.reducer}` : stage.mapper),
    h('td', {}, h('span', { class: `status ${stage.status}` }, stage.status)),
    h(
      'td',
      { class: 'stage-progress', title: c ? `${num(c.bytes + (c.running?.bytes ?? 0))} bytes` : '' },
      c ? progressText(c) : '—',
    ),
    h('td', { class: 'stage-tasks' }, c ? `${num(c.tasksDone)} / ${num(c.tasksDispatched)}` : '—'),
    h(
      'td',
      { class: 'stage-cost', title: stage.cost ? `${num(stage.cost.invocations)} invocations` : '' },
      stage.cost ? usd(stage.cost.lambdaUsd) : c ? usd(c.costUsd) : '—',
    ),
    h('td', {}, num(stage.runs)),
    h('td', {}, button),
  );
}

/** Bytes read so far (committed and running) of the known total, and words counted. */
function progressText(c: JobCounters): string {
  const done = c.bytes + (c.running?.bytes ?? 0);
  const words = c.words + (c.running?.words ?? 0);
  const of = c.bytesTotal ? ` / ${bytes(c.bytesTotal)}` : '';
  return `${bytes(done)}${of} · ${human(words)} words`;
}
