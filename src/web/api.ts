/** Same-origin access to the native API (/_lambdata) with the optional bearer token. */
import { ApiError } from '../api/native/api-error.js';

const BASE = '/_lambdata';
const TOKEN_KEY = 'lambdata.token';

/** The token stored for this tab, if any. */
export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Stores the token for this tab. */
export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

/** Called when the server answers 401; the app asks the user for a token. */
let onUnauthorized: () => Promise<void> = async () => {};

/** Installs the 401 handler (asks for a token, then resolves). */
export function handleUnauthorized(handler: () => Promise<void>): void {
  onUnauthorized = handler;
}

/** Fetches `path` under /_lambdata; JSON answers are parsed, errors thrown as ApiError. */
export async function api<T = unknown>(path: string, init: RequestInit = {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const headers = new Headers(init.headers);
    const token = getToken();
    if (token) headers.set('authorization', `Bearer ${token}`);
    // The server takes state changes only as JSON (see the native API's Content-Type rule).
    if (init.method && init.method !== 'GET' && !headers.has('content-type'))
      headers.set('content-type', 'application/json');
    const res = await fetch(BASE + path, { ...init, headers });
    if (res.status === 401 && attempt === 0) {
      await onUnauthorized();
      continue;
    }
    const type = res.headers.get('content-type') ?? '';
    const body: unknown = type.includes('json') ? await res.json() : res.status === 204 ? null : await res.text();
    if (!res.ok) throw ApiError.fromAnswer(res.status, body, res.statusText);
    return body as T;
  }
}

/** A URL under /_lambdata carrying the token as `?token=` (for EventSource and download links). */
export function apiUrl(path: string): string {
  const token = getToken();
  if (!token) return BASE + path;
  return `${BASE}${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

/** Opens an SSE stream; `handlers` maps event names to callbacks receiving the parsed data. */
export function stream(path: string, handlers: Record<string, (data: unknown) => void>): EventSource {
  const source = new EventSource(apiUrl(path));
  for (const [event, handler] of Object.entries(handlers)) {
    source.addEventListener(event, (e) => handler(JSON.parse((e as MessageEvent<string>).data)));
  }
  return source;
}

/** Encodes each path segment of an object key. */
export function keyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
