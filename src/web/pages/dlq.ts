/** Dead letters (async events that failed for good) with replay, plus async queue depth and concurrency. */
import type { ConcurrencyAnswer, DeadLetter, DeadLettersAnswer } from '../../api/native/contract.js';
import { api } from '../api.js';
import { h, num, replace, table, time } from '../dom.js';
import { errorBox, type Page } from './page.js';

/** Renders the dead-letter page. */
export const renderDeadLetters: Page = (root) => {
  const depth = h('p', { id: 'queue-depth' }, 'Loading…');
  const list = h('div', {}, 'Loading…');
  const status = h('p', { 'aria-live': 'polite' });
  const replayAll = h('button', { type: 'button', id: 'replay-all' }, 'Replay all');
  root.append(h('h1', {}, 'Dead letters'), depth, h('div', { class: 'actions' }, replayAll), status, list);
  const load = () => {
    api<ConcurrencyAnswer>('/concurrency')
      .then((c) =>
        replace(
          depth,
          `Async queue depth: ${num(c.queueDepth)} waiting · concurrency ${num(c.inUse)} / ${num(c.limit)} in use`,
        ),
      )
      .catch((err) => replace(depth, errorBox(err)));
    api<DeadLettersAnswer>('/dlq')
      .then(({ deadLetters }) => {
        replayAll.disabled = deadLetters.length === 0;
        replace(
          list,
          deadLetters.length ? lettersTable(deadLetters, act) : h('p', { class: 'muted' }, 'No dead letters.'),
        );
      })
      .catch((err) => replace(list, errorBox(err)));
  };
  const act = (label: string, path: string, method: string) => {
    replace(status, `${label}…`);
    api<{ replayed?: number }>(path, { method })
      .then((r) =>
        replace(status, r?.replayed === undefined ? `${label}: done.` : `${label}: ${num(r.replayed)} replayed.`),
      )
      .catch((err) => replace(status, errorBox(err)))
      .finally(load);
  };
  replayAll.addEventListener('click', () => act('Replay all', '/dlq/replay', 'POST'));
  load();
  return undefined;
};

function lettersTable(letters: DeadLetter[], act: (label: string, path: string, method: string) => void): HTMLElement {
  return table(
    ['Failed', 'Function', 'Condition', 'Attempts', 'Error', 'Event', ''],
    letters.map((d) => {
      const replay = h('button', { type: 'button' }, 'Replay');
      replay.addEventListener('click', () => act(`Replay ${d.id}`, `/dlq/${encodeURIComponent(d.id)}/replay`, 'POST'));
      const remove = h('button', { type: 'button', class: 'secondary' }, 'Delete');
      remove.addEventListener('click', () => act(`Delete ${d.id}`, `/dlq/${encodeURIComponent(d.id)}`, 'DELETE'));
      return [
        time(d.failedAt),
        h('a', { href: `#/functions/${encodeURIComponent(d.functionName)}` }, d.functionName),
        d.condition,
        num(d.attempts),
        d.errorType ? `${d.errorType}: ${d.errorMessage ?? ''}` : '—',
        h('code', { class: 'clip' }, d.payload.slice(0, 120)),
        h('span', { class: 'actions' }, replay, remove),
      ];
    }),
  );
}
