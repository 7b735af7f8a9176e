/** Objects: buckets, prefixes (delimiter '/'), object details, upload (file → PUT) and download. */
import type { BucketList, ObjectInfoAnswer, ObjectListing } from '../../api/native/contract.js';
import { api, apiUrl, keyPath } from '../api.js';
import { bytes, field, folderIcon, h, replace, table } from '../dom.js';
import { errorBox, type Page } from './page.js';

const PAGE_SIZE = 200;

/** Renders the bucket list, or a bucket's listing at a prefix (`#/objects/<bucket>/<prefix>`). */
export const renderObjects: Page = (root, [bucket, prefix]) => {
  const body = h('div', {}, 'Loading…');
  if (!bucket) {
    root.append(h('h1', {}, 'Objects'), body);
    api<BucketList>('/buckets')
      .then(({ buckets }) =>
        replace(
          body,
          buckets.length
            ? table(
                ['Bucket', 'Created'],
                buckets.map((b) => [
                  h('a', { href: `#/objects/${encodeURIComponent(b.name)}/` }, b.name),
                  new Date(b.createdAt).toLocaleString(),
                ]),
              )
            : h('p', { class: 'muted' }, 'No buckets yet.'),
        ),
      )
      .catch((err) => replace(body, errorBox(err)));
    return undefined;
  }
  const name = decodeURIComponent(bucket);
  const at = decodeURIComponent(prefix ?? '');
  const details = h(
    'aside',
    { class: 'panel details', id: 'object-details', 'aria-live': 'polite' },
    h('p', { class: 'muted' }, 'Select an object to see its details.'),
  );
  root.append(
    h('h1', {}, 'Objects'),
    breadcrumbs(name, at),
    h('div', { class: 'grid2' }, h('section', {}, body), h('div', {}, details, uploadForm(name, at))),
  );
  const load = (startAfter?: string) => {
    const q = new URLSearchParams({ delimiter: '/', maxKeys: String(PAGE_SIZE) });
    if (at) q.set('prefix', at);
    if (startAfter) q.set('startAfter', startAfter);
    api<ObjectListing>(`/buckets/${encodeURIComponent(name)}/objects?${q}`)
      .then((page) => replace(body, listingView(name, at, page, details, load)))
      .catch((err) => replace(body, errorBox(err)));
  };
  load();
  return undefined;
};

function breadcrumbs(bucket: string, prefix: string): HTMLElement {
  const parts = prefix.split('/').filter(Boolean);
  const crumbs = [
    h('a', { href: '#/objects' }, 'Buckets'),
    ' / ',
    h('a', { href: `#/objects/${encodeURIComponent(bucket)}/` }, bucket),
  ];
  let acc = '';
  for (const part of parts) {
    acc += `${part}/`;
    crumbs.push(' / ', h('a', { href: `#/objects/${encodeURIComponent(bucket)}/${keyPath(acc)}` }, part));
  }
  return h('nav', { class: 'crumbs', 'aria-label': 'Location' }, ...crumbs);
}

function listingView(
  bucket: string,
  prefix: string,
  page: ObjectListing,
  details: HTMLElement,
  load: (startAfter?: string) => void,
): HTMLElement {
  const rows = [
    ...page.commonPrefixes.map((p) => [
      h(
        'a',
        { href: `#/objects/${encodeURIComponent(bucket)}/${keyPath(p)}`, class: 'prefix' },
        folderIcon(),
        ` ${p.slice(prefix.length)}`,
      ),
      '',
      '',
    ]),
    ...page.objects.map((o) => {
      const button = h('button', { type: 'button', class: 'link object-key' }, o.key.slice(prefix.length));
      button.addEventListener('click', () => showDetails(bucket, o.key, details));
      return [button, bytes(o.size), new Date(o.lastModified).toLocaleString()];
    }),
  ];
  const more = page.isTruncated && page.nextStartAfter ? h('button', { type: 'button' }, 'Next page') : null;
  more?.addEventListener('click', () => load(page.nextStartAfter));
  return h(
    'div',
    {},
    rows.length ? table(['Name', 'Size', 'Modified'], rows) : h('p', { class: 'muted' }, 'Empty.'),
    more,
  );
}

function showDetails(bucket: string, key: string, details: HTMLElement): void {
  replace(details, 'Loading…');
  api<ObjectInfoAnswer>(`/buckets/${encodeURIComponent(bucket)}/object-info/${keyPath(key)}`)
    .then((info) => {
      const rows: Array<[string, string]> = [
        ['Key', key],
        ['Size', `${bytes(info.size)} (${info.size} bytes)`],
        ['ETag', String(info.etag)],
        ['Content type', String(info.contentType)],
        ['Last modified', new Date(info.lastModified).toLocaleString()],
      ];
      const meta = info.metadata ?? {};
      for (const [k, v] of Object.entries(meta)) rows.push([`x-amz-meta-${k}`, v]);
      replace(
        details,
        h('h2', {}, 'Object'),
        h('dl', { class: 'props' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
        h(
          'a',
          {
            class: 'button',
            href: apiUrl(`/buckets/${encodeURIComponent(bucket)}/objects/${keyPath(key)}?download=1`),
            download: key.split('/').pop() ?? 'object',
          },
          'Download',
        ),
      );
    })
    .catch((err) => replace(details, errorBox(err)));
}

function uploadForm(bucket: string, prefix: string): HTMLElement {
  const file = h('input', { type: 'file', id: 'upload-file', required: true });
  const keyInput = h('input', { type: 'text', id: 'upload-key', placeholder: `${prefix}name.txt` });
  file.addEventListener('change', () => {
    if (file.files?.[0] && !keyInput.value) keyInput.value = prefix + file.files[0].name;
  });
  const status = h('p', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'panel' },
    h('h2', {}, 'Upload'),
    field('File', file),
    field('Key', keyInput),
    h('button', { type: 'submit' }, 'Upload'),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    const key = keyInput.value || prefix + chosen.name;
    replace(status, 'Uploading…');
    api(`/buckets/${encodeURIComponent(bucket)}/objects/${keyPath(key)}`, {
      method: 'PUT',
      body: chosen,
      headers: { 'content-type': chosen.type || 'application/octet-stream' },
    })
      .then(() => {
        replace(status, `Uploaded ${key}.`);
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      })
      .catch((err) => replace(status, errorBox(err)));
  });
  return form;
}
