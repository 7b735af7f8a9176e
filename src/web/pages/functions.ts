/** Functions: the list, and one function's configuration, versions, invoke form, invocations and live log tail. */
import type {
  FunctionDetail,
  FunctionList,
  InvocationRecord,
  InvocationsAnswer,
  InvokeAnswer,
  LogLine,
} from '../../api/native/contract.js';
import { api, apiUrl, stream } from '../api.js';
import { bytes, FrameQueue, field, h, num, replace, table, time } from '../dom.js';
import { invocationTable } from './overview.js';
import { errorBox, type Page } from './page.js';

const MAX_LOG_LINES = 500;

/** Renders the list of functions. */
export const renderFunctions: Page = (root) => {
  const body = h('div', {}, 'Loading…');
  root.append(h('h1', {}, 'Functions'), body);
  api<FunctionList>('/functions')
    .then(({ functions }) => {
      if (!functions.length) {
        replace(body, h('p', { class: 'muted' }, 'No functions deployed. Deploy one with lambdata deploy.'));
        return;
      }
      replace(
        body,
        table(
          ['Name', 'Runtime', 'Handler', 'Memory', 'Timeout', 'Code', 'Modified'],
          functions.map((f) => [
            h('a', { href: `#/functions/${encodeURIComponent(f.name)}` }, f.name),
            f.runtime,
            h('code', {}, f.handler),
            `${f.memoryMb} MB`,
            `${f.timeoutS} s`,
            bytes(f.codeSize),
            new Date(f.lastModified).toLocaleString(),
          ]),
        ),
      );
    })
    .catch((err) => replace(body, errorBox(err)));
  return undefined;
};

/** Renders one function. */
export const renderFunction: Page = (root, [rawName]) => {
  const name = decodeURIComponent(rawName ?? '');
  const config = h('div', { class: 'panel' }, 'Loading…');
  const qualifier = h('select', { id: 'invoke-qualifier' }, h('option', { value: '' }, '$LATEST'));
  const invocations = h('div', { class: 'panel' });
  const logs = h('pre', {
    class: 'log',
    id: 'log-tail',
    tabindex: '0',
    'aria-label': 'Log tail',
    'aria-live': 'polite',
  });
  root.append(
    h('p', {}, h('a', { href: '#/functions' }, '← Functions')),
    h('h1', {}, name),
    h('div', { class: 'grid2' }, h('section', {}, h('h2', {}, 'Configuration'), config), invokeForm(name, qualifier)),
    h('h2', {}, 'Recent invocations'),
    invocations,
    h('h2', {}, 'Log tail (live)'),
    logs,
  );
  api<FunctionDetail>(`/functions/${encodeURIComponent(name)}`)
    .then((fn) => {
      replace(config, configView(fn));
      qualifier.append(
        ...fn.versions
          .filter((v) => v.version !== '$LATEST')
          .map((v) => h('option', { value: v.version }, `version ${v.version}`)),
      );
    })
    .catch((err) => replace(config, errorBox(err)));

  let records: InvocationRecord[] = [];
  const frame = new FrameQueue();
  const paint = () => replace(invocations, invocationTable(records));
  api<InvocationsAnswer>(`/invocations?function=${encodeURIComponent(name)}&limit=25`)
    .then((r) => {
      records = [...r.invocations, ...records].slice(0, 25);
      paint();
    })
    .catch((err) => replace(invocations, errorBox(err)));
  const recordSource = stream(`/invocations/stream?function=${encodeURIComponent(name)}`, {
    invocation: (data) => {
      records = [data as InvocationRecord, ...records].slice(0, 25);
      frame.schedule('records', paint);
    },
  });

  const pending: string[] = [];
  const flushLogs = () => {
    const stick = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4;
    logs.append(...pending.splice(0).map((text) => h('div', { class: 'line' }, text)));
    while (logs.childElementCount > MAX_LOG_LINES) logs.firstElementChild?.remove();
    if (stick) logs.scrollTop = logs.scrollHeight;
  };
  const logSource = stream(`/functions/${encodeURIComponent(name)}/logs/stream`, {
    log: (data) => {
      const line = data as LogLine;
      pending.push(line.line.replace(/\n$/, ''));
      frame.schedule('logs', flushLogs);
    },
  });
  return () => {
    recordSource.close();
    logSource.close();
  };
};

function configView(fn: FunctionDetail): HTMLElement {
  const rows: Array<[string, string]> = [
    ['ARN', fn.arn],
    ['Runtime', fn.runtime],
    ['Handler', fn.handler],
    ['Memory', `${fn.memoryMb} MB`],
    ['Timeout', `${fn.timeoutS} s`],
    ['Ephemeral storage', `${fn.ephemeralStorageMb} MB`],
    ['Reserved concurrency', fn.reservedConcurrency === null ? 'unreserved' : String(fn.reservedConcurrency)],
    ['Dead-letter queue', fn.deadLetterTargetArn ?? '—'],
    ['On-failure destination', fn.eventInvokeConfig.onFailure || '—'],
    ['Code', `${bytes(fn.codeSize)}, sha256 ${fn.codeSha256}`],
    ['Last modified', new Date(fn.lastModified).toLocaleString()],
    ['Environment', Object.keys(fn.environment).join(', ') || '—'],
  ];
  return h(
    'div',
    {},
    h('dl', { class: 'props' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('h3', {}, 'Versions'),
    table(
      ['Version', 'Description', 'Code sha256', 'Modified'],
      fn.versions.map((v) => [
        v.version,
        v.description || '—',
        h('code', {}, v.codeSha256.slice(0, 12)),
        new Date(v.lastModified).toLocaleString(),
      ]),
    ),
    h(
      'p',
      {},
      h(
        'a',
        { href: apiUrl(`/functions/${encodeURIComponent(fn.name)}/code`), download: `${fn.name}.zip` },
        'Download code (.zip)',
      ),
    ),
  );
}

function invokeForm(name: string, qualifier: HTMLSelectElement): HTMLElement {
  const payload = h('textarea', { id: 'invoke-payload', rows: 6, spellcheck: 'false' });
  payload.value = '{\n  "hello": "world"\n}';
  const type = h(
    'select',
    { id: 'invoke-type' },
    h('option', { value: 'RequestResponse' }, 'Sync (RequestResponse)'),
    h('option', { value: 'Event' }, 'Async (Event)'),
  );
  const result = h('div', { class: 'invoke-result', id: 'invoke-result', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', id: 'invoke-button' }, 'Invoke');
  const form = h(
    'form',
    { class: 'panel invoke' },
    field('Payload (JSON)', payload),
    field('Invocation type', type),
    field('Version', qualifier),
    button,
    result,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    try {
      JSON.parse(payload.value || '{}');
    } catch (err) {
      replace(result, errorBox(new Error(`The payload is not JSON: ${(err as Error).message}`)));
      return;
    }
    button.disabled = true;
    replace(result, 'Invoking…');
    const q = new URLSearchParams({
      type: type.value,
      tail: '1',
      ...(qualifier.value ? { qualifier: qualifier.value } : {}),
    });
    api<InvokeAnswer>(`/functions/${encodeURIComponent(name)}/invoke?${q}`, {
      method: 'POST',
      body: payload.value || '{}',
      headers: { 'content-type': 'application/json' },
    })
      .then((answer) => replace(result, resultView(answer)))
      .catch((err) => replace(result, errorBox(err)))
      .finally(() => {
        button.disabled = false;
      });
  });
  return h('section', {}, h('h2', {}, 'Invoke'), form);
}

function resultView(a: InvokeAnswer): HTMLElement {
  const r = a.record;
  const figures: Array<[string, string]> = r
    ? [
        ['Duration', `${r.durationMs.toFixed(2)} ms`],
        ['Billed Duration', `${num(r.billedDurationMs)} ms`],
        ['Memory Size', `${r.memorySizeMb} MB`],
        ['Max Memory Used', `${r.maxMemoryUsedMb} MB`],
        ['Init Duration', r.initDurationMs === null ? '— (warm)' : `${r.initDurationMs.toFixed(2)} ms`],
        ['Outcome', r.outcome],
      ]
    : [];
  return h(
    'div',
    {},
    h(
      'p',
      {},
      `Status ${a.statusCode} · request ${a.requestId} · version ${a.executedVersion}`,
      a.functionError ? h('strong', { class: 'error-text' }, ` · ${a.functionError} error`) : null,
    ),
    figures.length
      ? h(
          'dl',
          { class: 'report', 'aria-label': 'REPORT' },
          ...figures.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-figure': k }, v)]),
        )
      : h('p', { class: 'muted' }, 'Queued; the record appears below when it runs.'),
    a.statusCode === 202 ? null : h('pre', { class: 'payload' }, JSON.stringify(a.payload, null, 2)),
    a.logs ? h('details', {}, h('summary', {}, 'Log (tail)'), h('pre', { class: 'log' }, a.logs)) : null,
    r ? h('p', { class: 'muted' }, `Started ${time(r.startedAt)}`) : null,
  );
}
