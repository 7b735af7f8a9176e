/** DynamoDB tables: key schema, indexes, item count, and a box to query one partition or scan. */
import type { ItemsPage, TableDescription, TableList } from '../../api/native/contract.js';
import { api } from '../api.js';
import { field, h, num, replace, table } from '../dom.js';
import { errorBox, type Page } from './page.js';

/** Renders the tables page; `params[0]` is the selected table's name. */
export const renderTables: Page = (root, params) => {
  const selected = params[0] ? decodeURIComponent(params[0]) : undefined;
  const list = h('div', { class: 'panel', id: 'tables' }, 'Loading…');
  const detail = h('div', { id: 'table' });
  const refresh = h('button', { type: 'button', class: 'secondary' }, 'Refresh');
  root.append(h('h1', {}, 'Tables ', refresh), list, detail);
  const load = () => {
    api<TableList>('/tables')
      .then(({ tables }) =>
        replace(
          list,
          tables.length
            ? table(
                ['Table', 'Key', 'Items', 'Stream'],
                tables.map((t) => [
                  h('a', { href: `#/tables/${encodeURIComponent(t.name)}` }, t.name),
                  t.keySchema
                    .map((k) => `${k.attributeName} (${k.keyType === 'HASH' ? 'partition' : 'sort'})`)
                    .join(', '),
                  num(t.itemCount),
                  t.streamArn ? 'on' : 'off',
                ]),
              )
            : h('p', { class: 'muted' }, 'No tables. Create one with `lambdata tables create NAME --pk id`.'),
        ),
      )
      .catch((err) => replace(list, errorBox(err)));
    if (selected)
      api<TableDescription>(`/tables/${encodeURIComponent(selected)}`)
        .then((d) => renderTable(detail, d))
        .catch((err) => replace(detail, errorBox(err)));
  };
  refresh.addEventListener('click', load);
  load();
  return undefined;
};

function renderTable(root: HTMLElement, d: TableDescription): void {
  const name = d.tableName;
  const indexes = [
    ...(d.globalSecondaryIndexes ?? []).map((i) => ['global', i] as const),
    ...(d.localSecondaryIndexes ?? []).map((i) => ['local', i] as const),
  ];
  const key = h('input', { id: 'query-key', placeholder: '{"id": "s-1"}' });
  const index = h(
    'select',
    { id: 'query-index' },
    h('option', { value: '' }, 'the table'),
    ...indexes.map(([, i]) => h('option', { value: i.indexName }, i.indexName)),
  );
  const query = h('button', { type: 'submit' }, 'Query');
  const scan = h('button', { type: 'button', class: 'secondary' }, 'Scan');
  const results = h('div', { class: 'panel', id: 'items' });
  const form = h('form', { class: 'panel' }, field('Partition key (JSON)', key), field('On', index), query, scan);
  const show = (page: Promise<ItemsPage>) =>
    page.then((p) => replace(results, itemsTable(p))).catch((err) => replace(results, errorBox(err)));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(key.value || '{}');
    } catch (err) {
      replace(results, errorBox(err));
      return;
    }
    show(
      api<ItemsPage>(`/tables/${encodeURIComponent(name)}/query`, {
        method: 'POST',
        body: JSON.stringify(index.value ? { key: parsed, index: index.value } : { key: parsed }),
      }),
    );
  });
  scan.addEventListener('click', () => show(api<ItemsPage>(`/tables/${encodeURIComponent(name)}/items?limit=100`)));
  replace(
    root,
    h('h2', {}, name),
    h('p', { class: 'muted' }, d.tableArn),
    table(
      ['Key', 'Type'],
      d.keySchema.map((k) => [
        k.attributeName,
        `${k.keyType === 'HASH' ? 'partition' : 'sort'} (${d.attributeDefinitions.find((a) => a.attributeName === k.attributeName)?.attributeType ?? '?'})`,
      ]),
      'Key schema',
    ),
    indexes.length
      ? table(
          ['Index', 'Kind', 'Key'],
          indexes.map(([kind, i]) => [i.indexName, kind, i.keySchema.map((k) => k.attributeName).join(', ')]),
          'Secondary indexes',
        )
      : h('p', { class: 'muted' }, 'No secondary indexes.'),
    h('p', {}, `${num(d.itemCount)} items`),
    h('h3', {}, 'Query or scan'),
    form,
    results,
  );
  show(api<ItemsPage>(`/tables/${encodeURIComponent(name)}/items?limit=100`));
}

function itemsTable(page: ItemsPage): HTMLElement {
  if (page.items.length === 0) return h('p', { class: 'muted' }, 'No items.');
  const columns = [...new Set(page.items.flatMap((item) => Object.keys(item)))];
  return table(
    columns,
    page.items.map((item) => columns.map((c) => (c in item ? JSON.stringify(item[c]) : ''))),
    `${num(page.count)} items${page.lastEvaluatedKey ? ' (more)' : ''}`,
  );
}
