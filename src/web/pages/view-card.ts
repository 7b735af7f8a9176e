/** One view on the Views page: its layers' state, its top keys (batch and speed stacked), recompute and query. */
import type { QueryAnswer, RecomputeAnswer, RecomputeEvent, ViewDetail, ViewInfo } from '../../api/native/contract.js';
import { api } from '../api.js';
import { field, h, num, replace } from '../dom.js';
import { type KeyBar, StackedBars } from '../view-chart.js';
import { errorBox } from './page.js';

const STATS = [
  ['dataset', 'Dataset'],
  ['version', 'Batch version'],
  ['horizon', 'Horizon B'],
  ['computed', 'Last recompute'],
  ['checkpoint', 'Speed layer up to'],
  ['lag', 'Speed lag'],
  ['speed', 'Speed buckets / keys'],
  ['recompute', 'Recompute'],
  ['errors', 'Events the view rejected'],
] as const;
type Stat = (typeof STATS)[number][0];

/** A view's card; `update` paints it (once it is in the page) and repaints it from newer state. */
export class ViewCard {
  readonly el: HTMLElement;
  #info: ViewInfo & { top?: ViewDetail['top'] };
  #stats = new Map<Stat, HTMLElement>();
  #chart: StackedBars;
  #note: HTMLElement;
  #keyInput: HTMLInputElement;
  #form: HTMLFormElement;

  constructor(info: ViewInfo & { top?: ViewDetail['top'] }) {
    this.#info = info;
    const slug = info.name.replace(/[^\w-]/g, '_');
    const statList = h('dl', { class: 'view-stats' });
    for (const [id, label] of STATS) {
      const dd = h('dd', { 'data-stat': id }, '—');
      this.#stats.set(id, dd);
      statList.append(h('div', {}, h('dt', {}, label), dd));
    }
    const chartBox = h('div', { class: 'view-chart' });
    this.#chart = new StackedBars(chartBox, `Top keys of ${info.name}: batch and speed parts`, (key) => {
      this.#keyInput.value = key;
      this.#form.requestSubmit();
    });
    this.#note = h('p', { class: 'recompute-note', 'aria-live': 'polite' });
    const button = h('button', { type: 'button', class: 'recompute' }, 'Recompute');
    button.addEventListener('click', () => this.#recompute(button));
    this.#keyInput = h('input', { type: 'text', id: `q-key-${slug}`, required: true, placeholder: 'a key, e.g. the' });
    const from = h('input', { type: 'datetime-local', id: `q-from-${slug}`, step: 1 });
    const to = h('input', { type: 'datetime-local', id: `q-to-${slug}`, step: 1 });
    const answer = h('div', { class: 'query-answer', 'aria-live': 'polite' });
    this.#form = h(
      'form',
      { class: 'query-form' },
      h('div', { class: 'fields' }, field('Key', this.#keyInput), field('From', from), field('To', to)),
      h('button', { type: 'submit' }, 'Query'),
    );
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#query(this.#keyInput.value.trim(), from.value, to.value, answer);
    });
    this.el = h(
      'section',
      { class: 'panel view-card', 'data-view': info.name, 'aria-label': `View ${info.name}` },
      h(
        'div',
        { class: 'view-head' },
        h('h2', {}, info.name),
        h('span', { class: 'muted' }, `${info.monoid} per ${info.granularity}`),
        button,
      ),
      this.#note,
      statList,
      h(
        'p',
        { class: 'legend muted' },
        h('span', { class: 'swatch batch' }),
        ' batch (t < B)  ',
        h('span', { class: 'swatch speed' }),
        ' speed (t ≥ B)',
      ),
      chartBox,
      h('h3', {}, 'Query'),
      this.#form,
      answer,
    );
  }

  /** Repaints from newer state (top keys kept from before when `info` has none). */
  update(info: ViewInfo & { top?: ViewDetail['top'] }): void {
    this.#info = { ...info, top: info.top ?? this.#info.top };
    const { batch, speed, recompute } = this.#info;
    this.#set('dataset', info.dataset);
    this.#set('version', batch ? `v${batch.version} · ${num(batch.events)} events` : 'none yet');
    this.#set('horizon', batch ? moment(batch.horizon) : '— (no batch yet: all from speed)');
    this.#set(
      'computed',
      batch
        ? `${moment(batch.computedAt)}${recompute.lastDurationMs !== undefined ? ` in ${seconds(recompute.lastDurationMs)}` : ''}`
        : '—',
    );
    this.#set('checkpoint', moment(speed.checkpointTime));
    this.#set('lag', seconds(speed.lagMs));
    this.#set('speed', `${num(speed.buckets)} / ${num(speed.keys)}`);
    const state = recompute.running
      ? `running${recompute.jobId ? ` (job ${recompute.jobId})` : ''}`
      : recompute.lastError
        ? `last failed: ${recompute.lastError}`
        : 'idle';
    this.#set('recompute', state);
    this.#stats.get('recompute')?.classList.toggle('error-text', !recompute.running && !!recompute.lastError);
    const { errors } = this.#info;
    this.#set('errors', errors.count ? `${num(errors.count)}${errors.last ? ` (last: ${errors.last})` : ''}` : 'none');
    this.#chart.update(bars(this.#info.top ?? []));
  }

  /** Shows a recompute's phase from the SSE stream. */
  recomputed(event: RecomputeEvent): void {
    const job = event.jobId
      ? h('span', {}, ' (job ', h('a', { href: `#/jobs/${encodeURIComponent(event.jobId)}` }, event.jobId), ')')
      : null;
    if (event.phase === 'started') replace(this.#note, 'Recompute started', job, '.');
    else if (event.phase === 'swapped') {
      const version = event.version === undefined ? 'A new batch version' : `Batch version v${event.version}`;
      replace(this.#note, `${version} swapped in`, job, '.');
    } else {
      replace(
        this.#note,
        h('span', { class: 'error-text' }, `Recompute failed: ${event.error ?? 'unknown error'}`),
        job,
      );
    }
  }

  /** Re-renders relative times ("12 s ago"). */
  tick(): void {
    this.update(this.#info);
  }

  #set(stat: Stat, text: string): void {
    const el = this.#stats.get(stat);
    if (el && el.textContent !== text) el.textContent = text;
  }

  #recompute(button: HTMLButtonElement): void {
    button.disabled = true;
    api<RecomputeAnswer>(`/views/${encodeURIComponent(this.#info.name)}/recompute`, {
      method: 'POST',
      body: JSON.stringify({}),
    })
      .then(({ jobId }) => this.recomputed({ view: this.#info.name, ...(jobId ? { jobId } : {}), phase: 'started' }))
      .catch((err) => replace(this.#note, errorBox(err)))
      .finally(() => {
        button.disabled = false;
      });
  }

  #query(key: string, from: string, to: string, out: HTMLElement): void {
    const params = new URLSearchParams({ key });
    if (from) params.set('from', String(new Date(from).getTime()));
    if (to) params.set('to', String(new Date(to).getTime()));
    replace(out, 'Querying…');
    api<QueryAnswer>(`/views/${encodeURIComponent(this.#info.name)}/query?${params}`)
      .then((a) => replace(out, answerView(a)))
      .catch((err) => replace(out, errorBox(err)));
  }
}

/** The merged value, its batch and speed parts, and a clear warning when the answer is incomplete. */
function answerView(a: QueryAnswer): HTMLElement {
  const range = `${a.from === null ? 'the beginning' : moment(a.from)} → ${a.to === null ? 'now' : moment(a.to)}`;
  return h(
    'div',
    { class: a.complete ? 'answer complete' : 'answer incomplete' },
    h('p', {}, h('code', {}, a.key), ' over ', range),
    h('p', { class: 'merged' }, h('span', { 'data-part': 'value' }, show(a.value)), a.complete ? '' : ' (incomplete)'),
    h(
      'p',
      { class: 'parts' },
      '= batch ',
      h('strong', { 'data-part': 'batch' }, show(a.batch.value)),
      a.batch.version === null ? ' (no batch view)' : ` (v${a.batch.version}, t < ${moment(a.batch.horizon)})`,
      ' ⊕ speed ',
      h('strong', { 'data-part': 'speed' }, show(a.speed.value)),
      a.speed.upTo === null ? '' : ` (up to ${moment(a.speed.upTo)})`,
    ),
    a.complete || !a.missing
      ? null
      : h(
          'p',
          { class: 'incomplete-note', role: 'alert' },
          `Incomplete: ${a.missing.reason}. The batch view covers up to ${moment(a.missing.batchCompleteUpTo)}; ` +
            `the speed layer has applied events up to ${moment(a.missing.speedUpTo)}.`,
        ),
  );
}

function bars(top: ViewDetail['top']): KeyBar[] {
  return top
    .filter((t) => typeof t.value === 'number')
    .map((t) => ({ key: t.key, batch: Number(t.batch ?? 0) || 0, speed: Number(t.speed ?? 0) || 0 }))
    .sort((a, b) => b.batch + b.speed - (a.batch + a.speed) || a.key.localeCompare(b.key));
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A time with how long ago it was: "14:02:07 (12 s ago)". */
export function moment(ms: number | null | undefined): string {
  if (!ms) return '—';
  const ago = Date.now() - ms;
  const date = new Date(ms);
  const when = ago < 12 * 3600_000 ? date.toLocaleTimeString() : date.toLocaleString();
  return ago >= 0 ? `${when} (${seconds(ago)} ago)` : when;
}

function seconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
