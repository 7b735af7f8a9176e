/** Dashboard entry: shell, hash routing, theme toggle and the token prompt. */
import { handleUnauthorized, setToken } from './api.js';
import { h, replace } from './dom.js';
import { renderDeadLetters } from './pages/dlq.js';
import { renderFunction, renderFunctions } from './pages/functions.js';
import { renderJob } from './pages/job-view.js';
import { renderJobs } from './pages/jobs.js';
import { renderObjects } from './pages/objects.js';
import { renderOverview } from './pages/overview.js';
import type { Page } from './pages/page.js';
import { renderSources } from './pages/sources.js';
import { renderTables } from './pages/tables.js';
import { renderTopics } from './pages/topics.js';
import { renderViews } from './pages/views.js';

interface RouteDef {
  pattern: RegExp;
  nav: string;
  page: Page;
}

const ROUTES: RouteDef[] = [
  { pattern: /^\/?$/, nav: 'overview', page: renderOverview },
  { pattern: /^\/functions\/?$/, nav: 'functions', page: renderFunctions },
  { pattern: /^\/functions\/([^/]+)$/, nav: 'functions', page: renderFunction },
  { pattern: /^\/objects(?:\/([^/]+)(?:\/(.*))?)?$/, nav: 'objects', page: renderObjects },
  { pattern: /^\/jobs\/?$/, nav: 'jobs', page: renderJobs },
  { pattern: /^\/jobs\/([^/]+)$/, nav: 'jobs', page: renderJob },
  { pattern: /^\/dlq\/?$/, nav: 'dlq', page: renderDeadLetters },
  { pattern: /^\/sources\/?$/, nav: 'sources', page: renderSources },
  { pattern: /^\/topics(?:\/([^/]+))?\/?$/, nav: 'topics', page: renderTopics },
  { pattern: /^\/tables(?:\/([^/]+))?\/?$/, nav: 'tables', page: renderTables },
  { pattern: /^\/views\/?$/, nav: 'views', page: renderViews },
];

const NAV = [
  ['overview', '#/', 'Overview'],
  ['functions', '#/functions', 'Functions'],
  ['objects', '#/objects', 'Objects'],
  ['jobs', '#/jobs', 'Jobs'],
  ['dlq', '#/dlq', 'Dead letters'],
  ['sources', '#/sources', 'Streams & queues'],
  ['topics', '#/topics', 'Topics'],
  ['tables', '#/tables', 'Tables'],
  ['views', '#/views', 'Views'],
] as const;

const THEME_KEY = 'lambdata.theme';
let cleanup: (() => void) | undefined;

function shell(): HTMLElement {
  const main = h('main', { id: 'main', tabindex: '-1' });
  const toggle = h('button', { type: 'button', class: 'theme-toggle', 'aria-label': 'Toggle dark mode' }, 'Theme');
  toggle.addEventListener('click', () => {
    const theme = document.documentElement.dataset.theme;
    const dark = !(theme === 'dark' || (theme === undefined && prefersDark()));
    applyTheme(dark ? 'dark' : 'light');
    localStorage.setItem(THEME_KEY, dark ? 'dark' : 'light');
  });
  const nav = h(
    'nav',
    { 'aria-label': 'Sections' },
    ...NAV.map(([id, href, label]) => h('a', { href, 'data-nav': id }, label)),
  );
  document.body.replaceChildren(
    h('a', { class: 'skip', href: '#main', onclick: skipToMain }, 'Skip to content'),
    h('header', { class: 'top' }, h('a', { class: 'brand', href: '#/' }, 'λ lambdata'), nav, toggle),
    main,
  );
  return main;
}

function skipToMain(event: Event): void {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

function prefersDark(): boolean {
  return matchMedia('(prefers-color-scheme: dark)').matches;
}

function applyTheme(theme: string | null): void {
  if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

function route(main: HTMLElement): void {
  cleanup?.();
  cleanup = undefined;
  const path = decodeURI(location.hash.replace(/^#/, '') || '/');
  const found = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  document.querySelectorAll<HTMLAnchorElement>('nav a').forEach((link) => {
    if (link.dataset.nav === found?.r.nav) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  });
  if (!found?.m) {
    replace(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the overview')));
    return;
  }
  replace(main);
  const params = found.m.slice(1).map((x) => (x === undefined ? '' : x));
  cleanup = found.r.page(main, params);
}

/** Asks once for the server token (shown only when the server answers 401). */
function askToken(): Promise<void> {
  return new Promise((resolve) => {
    const input = h('input', { type: 'password', id: 'token-input', autocomplete: 'off', required: true });
    const dialog = h(
      'dialog',
      { class: 'token-dialog' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', {}, 'Token required'),
        h('p', {}, 'This server requires its access token (lambdata serve --token).'),
        h('label', { for: 'token-input' }, 'Token'),
        input,
        h('button', { type: 'submit' }, 'Continue'),
      ),
    );
    dialog.addEventListener('close', () => {
      setToken(input.value.trim());
      dialog.remove();
      resolve();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

let pendingToken: Promise<void> | undefined;
handleUnauthorized(() => {
  pendingToken ??= askToken().finally(() => {
    pendingToken = undefined;
    route(document.getElementById('main') as HTMLElement);
  });
  return pendingToken;
});

applyTheme(localStorage.getItem(THEME_KEY));
const main = shell();
window.addEventListener('hashchange', () => route(main));
route(main);
