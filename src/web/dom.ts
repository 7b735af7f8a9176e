/** Tiny DOM helpers for the dashboard: element builder, per-frame batching, number formatting. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/** Creates an element: `h('button', { class: 'x', onclick: fn }, 'Go')`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, ...children);
  return el;
}

/** Appends children, skipping empty ones. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces all children of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/**
 * Collects work and runs it once per animation frame, so a burst of events (thousands per second)
 * causes one DOM update per frame.
 */
export class FrameQueue {
  #tasks = new Map<string, () => void>();
  #scheduled = false;

  /** Schedules `task` for the next frame; a later task with the same key replaces an earlier one. */
  schedule(key: string, task: () => void): void {
    this.#tasks.set(key, task);
    if (this.#scheduled) return;
    this.#scheduled = true;
    requestAnimationFrame(() => this.flush());
  }

  /** Runs everything scheduled now. */
  flush(): void {
    this.#scheduled = false;
    const tasks = [...this.#tasks.values()];
    this.#tasks.clear();
    for (const task of tasks) task();
  }
}

/** 12345 → "12,345". */
export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

/** Dollars with enough digits for tiny Lambda bills (three significant digits below a cent). */
export function usd(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n === 0) return '$0';
  return `$${n < 0.01 ? n.toFixed(Math.min(12, 2 - Math.floor(Math.log10(n)))) : n.toFixed(4)}`;
}

/** Bytes as B / KiB / MiB / GiB. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Epoch ms → local time string. */
export function time(ms: number | null | undefined): string {
  return ms ? new Date(ms).toLocaleString() : '—';
}

/** A table from a header row and rows of cells. */
export function table(headers: string[], rows: Child[][], caption?: string): HTMLTableElement {
  return h(
    'table',
    {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, ...rows.map((row) => h('tr', {}, ...row.map((cell) => h('td', {}, cell))))),
  );
}

/** A labelled form field wrapping `control`. */
export function field(label: string, control: HTMLElement): HTMLLabelElement {
  return h('label', { class: 'field' }, h('span', {}, label), control);
}

const COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumSignificantDigits: 3 });

/** 1234567 → "1.23M", 9876 → "9.88k", 512 → "512": a short figure for a stat card (exact value in `num`). */
export function human(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return COMPACT.format(n);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A small folder icon drawn inline (no icon font or emoji glyph the system may lack). */
export function folderIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('class', 'icon folder');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', 'M1.5 3.5h4.2l1.5 1.6h7.3v7.9h-13z');
  svg.append(path);
  return svg;
}
