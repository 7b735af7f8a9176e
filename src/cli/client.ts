import { ApiError } from '../api/native/api-error.js';

/** A small client of the native JSON API under /_lambdata. */
export class ApiClient {
  constructor(
    readonly endpoint: string,
    readonly token?: string,
  ) {}

  /** Full URL of a native API path (`/functions/x`). */
  url(path: string): string {
    return `${this.endpoint.replace(/\/$/, '')}/_lambdata${path}`;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /**
   * Sends a request; JSON bodies are encoded, Buffers and streams are sent raw.
   * @throws ApiError with the server's code, or code `ConnectionRefused` when no server answers.
   */
  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await this.fetch(method, path, body, headers);
    const text = await res.text();
    const parsed = text ? safeJson(text) : undefined;
    if (!res.ok) throw ApiError.fromAnswer(res.status, parsed, text || res.statusText);
    return parsed as T;
  }

  /**
   * `res` itself when it is a 2xx answer (its body left unread, for streaming).
   * @throws ApiError with the server's code otherwise.
   */
  async checked(res: Response): Promise<Response> {
    if (res.ok) return res;
    const text = await res.text();
    throw ApiError.fromAnswer(res.status, text ? safeJson(text) : undefined, text || res.statusText);
  }

  /** The raw fetch, for streamed bodies and SSE. */
  async fetch(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const init: RequestInit & { duplex?: 'half' } = { method, headers: { ...headers } };
    if (this.token) (init.headers as Record<string, string>).authorization = `Bearer ${this.token}`;
    if (body === undefined && method !== 'GET' && method !== 'HEAD' && method !== 'DELETE') {
      // The server takes state changes only as JSON (no cross-site form or text/plain request can pass).
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    if (body !== undefined) {
      if (
        body instanceof Uint8Array ||
        typeof (body as { pipe?: unknown }).pipe === 'function' ||
        body instanceof ReadableStream
      ) {
        init.body = body as BodyInit;
        init.duplex = 'half';
      } else {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] = 'application/json';
      }
    }
    try {
      return await fetch(this.url(path), init);
    } catch (err) {
      throw new ApiError(
        'ConnectionRefused',
        `Cannot reach lambdata at ${this.endpoint} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}). Start it with: lambdata serve`,
        0,
      );
    }
  }

  /**
   * Reads a Server-Sent Events stream, calling `onEvent` for each event until it returns false, the
   * stream ends or `signal` aborts. Events whose name `wants` refuses are skipped unparsed (a job's
   * stream can carry thousands of per-object events a caller has no use for).
   */
  async stream(
    path: string,
    onEvent: (event: string, data: unknown) => unknown,
    signal?: AbortSignal,
    wants: (event: string) => boolean = () => true,
  ): Promise<void> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(this.url(path), { headers, signal });
    } catch (err) {
      if (signal?.aborted) return;
      throw new ApiError(
        'ConnectionRefused',
        `Cannot reach lambdata at ${this.endpoint}: ${(err as Error).message}`,
        0,
      );
    }
    if (!res.ok || !res.body) {
      const text = await res.text();
      throw ApiError.fromAnswer(res.status, safeJson(text), text);
    }
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length === 0 || !wants(event)) continue;
          if (onEvent(event, safeJson(data.join('\n'))) === false) return;
        }
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
