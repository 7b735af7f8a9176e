/**
 * Views (the Lambda Architecture): each view's live top keys with their batch and speed parts,
 * its horizon, last recompute and speed lag, a query box and a Recompute button; the master
 * datasets with how far their archive has got. Live through /views/events (SSE).
 */
import type { DatasetList, RecomputeEvent, ViewDetail, ViewInfo, ViewList } from '../../api/native/contract.js';
import { api, stream } from '../api.js';
import { bytes, h, num, replace, table } from '../dom.js';
import { errorBox, type Page } from './page.js';
import { moment, ViewCard } from './view-card.js';

/** Top keys are refetched at most this often per view when an SSE event does not carry them. */
const TOP_REFRESH_MS = 500;
const DATASETS_REFRESH_MS = 2_000;
const TICK_MS = 1_000;

/** Renders the Views page. */
export const renderViews: Page = (root) => {
  const list = h('div', { id: 'views-list', class: 'views' }, 'Loading…');
  const datasets = h('div', { id: 'datasets', class: 'panel' }, 'Loading…');
  const live = h('span', { class: 'status running', id: 'views-live' }, 'connecting');
  root.append(
    h('h1', {}, 'Views ', live),
    h(
      'p',
      { class: 'muted' },
      'Each answer is batch(t < B) ⊕ speed(t ≥ B): the batch layer recomputes from the master dataset up to the horizon B, ',
      'the speed layer adds what arrived since. After a recompute the batch part grows and the speed part shrinks.',
    ),
    list,
    h('h2', {}, 'Master datasets'),
    datasets,
  );
  const cards = new Map<string, ViewCard>();
  const refetching = new Map<string, ReturnType<typeof setTimeout>>();

  const show = (info: ViewInfo & { top?: ViewDetail['top'] }) => {
    const card = cards.get(info.name);
    if (card) return card.update(info);
    if (cards.size === 0) replace(list);
    const created = new ViewCard(info);
    cards.set(info.name, created);
    list.append(created.el);
    created.update(info);
  };
  const refetch = (name: string) => {
    if (refetching.has(name)) return;
    refetching.set(
      name,
      setTimeout(() => {
        api<ViewDetail>(`/views/${encodeURIComponent(name)}`)
          .then(show)
          // The next event retries; a view removed meanwhile just stops updating.
          .catch((err) => console.warn(`views: could not refresh ${name}`, err))
          .finally(() => refetching.delete(name));
      }, TOP_REFRESH_MS),
    );
  };

  api<ViewList>('/views')
    .then(async ({ views }) => {
      if (views.length === 0) replace(list, emptyState());
      const detailed = await Promise.all(views.map((v) => api<ViewDetail>(`/views/${encodeURIComponent(v.name)}`)));
      for (const info of detailed) show(info);
    })
    .catch((err) => replace(list, errorBox(err)));

  const source = stream('/views/events', {
    view: (data) => {
      const info = data as ViewInfo & { top?: ViewDetail['top'] };
      show(info);
      if (!info.top) refetch(info.name);
    },
    recompute: (data) => {
      const event = data as RecomputeEvent;
      cards.get(event.view)?.recomputed(event);
      refetch(event.view);
    },
  });
  source.addEventListener('open', () => {
    live.textContent = 'live';
    live.className = 'status succeeded';
  });
  source.addEventListener('error', () => {
    live.textContent = 'reconnecting';
    live.className = 'status running';
  });

  const loadDatasets = () =>
    api<DatasetList>('/datasets')
      .then(({ datasets: all }) => replace(datasets, datasetTable(all)))
      .catch((err) => replace(datasets, errorBox(err)));
  loadDatasets();
  const datasetTimer = setInterval(loadDatasets, DATASETS_REFRESH_MS);
  const tick = setInterval(() => {
    for (const card of cards.values()) card.tick();
  }, TICK_MS);
  return () => {
    source.close();
    clearInterval(datasetTimer);
    clearInterval(tick);
    for (const timer of refetching.values()) clearTimeout(timer);
  };
};

function emptyState(): HTMLElement {
  return h(
    'div',
    { class: 'panel' },
    h('p', {}, 'No views yet. Archive a stream into a master dataset and define a view on it:'),
    h(
      'pre',
      { class: 'payload' },
      'lambdata dataset create tweets-master --stream tweets\n' +
        'lambdata views create word-counts --dataset tweets-master --view word-count-hourly',
    ),
  );
}

function datasetTable(datasets: DatasetList['datasets']): HTMLElement {
  if (datasets.length === 0) return h('p', { class: 'muted' }, 'No master datasets yet.');
  return table(
    [
      'Dataset',
      'Stream',
      'Location',
      'Events',
      'Rejected',
      'Objects',
      'Size',
      'Complete up to',
      'Shards archived up to',
    ],
    datasets.map((d) => [
      h('strong', { 'data-dataset': d.name }, d.name),
      d.stream,
      h('code', {}, `s3://${d.bucket}/${d.prefix}`),
      num(d.events),
      num(d.rejected),
      num(d.objects),
      bytes(d.bytes),
      h('span', { 'data-stat': 'complete-up-to' }, moment(d.completeUpTo)),
      h(
        'ul',
        { class: 'shards' },
        ...d.shards.map((s) => h('li', {}, h('code', {}, s.shardId), ' ', moment(s.archivedEventTime))),
      ),
    ]),
    'Streams archived into the object store, append-only',
  );
}
