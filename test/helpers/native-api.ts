/** The native API (`/_lambdata/…`) as the views tests call it, and waiting on it without fixed sleeps. */

/** Resolves once `check()` answers a value, checking every 50 ms; rejects naming `what` after `timeoutMs`. */
export async function until<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what = 'a condition',
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One native API call with a JSON body: its status and JSON answer, whatever the status. */
export async function apiAnswer<T>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${url}/_lambdata${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as T };
}

/** One native API call with a JSON body; throws with the status and answer when it is not 2xx. */
export async function api<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const { status, json } = await apiAnswer<T>(url, method, path, body);
  if (status < 200 || status > 299) throw new Error(`${method} ${path} → ${status} ${JSON.stringify(json)}`);
  return json;
}
