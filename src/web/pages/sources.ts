/** Streams, queues and event source mappings: their state, depth and lag (read once; Refresh re-reads). */
import type { MappingList, QueueList, StreamList } from '../../api/native/contract.js';
import { api } from '../api.js';
import { h, num, replace, table, time } from '../dom.js';
import { errorBox, type Page } from './page.js';

/** Renders the streams, queues and mappings page. */
export const renderSources: Page = (root) => {
  const streams = h('div', { class: 'panel', id: 'streams' }, 'Loading…');
  const queues = h('div', { class: 'panel', id: 'queues' }, 'Loading…');
  const mappings = h('div', { class: 'panel', id: 'mappings' }, 'Loading…');
  const refresh = h('button', { type: 'button', class: 'secondary' }, 'Refresh');
  root.append(
    h('h1', {}, 'Streams, queues and mappings ', refresh),
    h(
      'div',
      { class: 'grid2' },
      h('section', {}, h('h2', {}, 'Streams'), streams),
      h('section', {}, h('h2', {}, 'Queues'), queues),
    ),
    h('h2', {}, 'Event source mappings'),
    mappings,
  );
  const load = () => {
    api<StreamList>('/streams')
      .then((r) =>
        replace(
          streams,
          r.streams.length
            ? table(
                ['Stream', 'Open shards', 'Retention', 'Created'],
                r.streams.map((s) => [
                  s.name,
                  num(s.openShards),
                  `${s.retentionHours} h`,
                  time(new Date(s.createdAt).getTime()),
                ]),
              )
            : h('p', { class: 'muted' }, 'No streams.'),
        ),
      )
      .catch((err) => replace(streams, errorBox(err)));
    api<QueueList>('/queues')
      .then((r) =>
        replace(
          queues,
          r.queues.length
            ? table(
                ['Queue', 'Visible', 'In flight', 'Delayed'],
                r.queues.map((q) => [
                  `${q.name}${q.fifo ? ' (FIFO)' : ''}`,
                  num(q.depth.visible),
                  num(q.depth.inFlight),
                  num(q.depth.delayed),
                ]),
              )
            : h('p', { class: 'muted' }, 'No queues.'),
        ),
      )
      .catch((err) => replace(queues, errorBox(err)));
    api<MappingList>('/mappings')
      .then((r) =>
        replace(
          mappings,
          r.mappings.length
            ? table(
                ['Source', 'Function', 'State', 'Lag', 'Invocations', 'Failures', 'Batch', 'Last result'],
                r.mappings.map((m) => [
                  `${m.sourceType}: ${m.sourceName}`,
                  h('a', { href: `#/functions/${encodeURIComponent(m.functionName)}` }, m.functionName),
                  m.state,
                  num(m.status.lag),
                  num(m.status.invocations),
                  num(m.status.failures),
                  num(m.batchSize),
                  m.lastProcessingResult,
                ]),
              )
            : h('p', { class: 'muted' }, 'No mappings.'),
        ),
      )
      .catch((err) => replace(mappings, errorBox(err)));
  };
  refresh.addEventListener('click', load);
  load();
  return undefined;
};
