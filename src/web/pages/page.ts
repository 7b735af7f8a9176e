import { ApiError } from '../../api/native/api-error.js';

/** A page renders into `root` from the route's captured params and returns its cleanup (closing streams). */
export type Page = (root: HTMLElement, params: string[]) => (() => void) | undefined;

/** Shows an error in a page region. */
export function errorBox(err: unknown): HTMLElement {
  const p = document.createElement('p');
  p.className = 'error';
  p.setAttribute('role', 'alert');
  p.textContent =
    err instanceof Error ? `${err instanceof ApiError ? err.code : err.name}: ${err.message}` : String(err);
  return p;
}
