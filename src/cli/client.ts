import type { IncomingMessage, RequestOptions } from 'node:http';
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
    if (isStream(body)) {
      const res = await this.fetch(method, path, body, headers);
      const text = await res.text();
      const parsed = text ? safeJson(text) : undefined;
      if (!res.ok) throw ApiError.fromAnswer(res.status, parsed, text || res.statusText);
      return parsed as T;
    }
    const sent = { ...headers };
    let payload: Uint8Array | undefined;
    if (body instanceof Uint8Array) payload = body;
    else if (body !== undefined) {
      payload = Buffer.from(JSON.stringify(body));
      sent['content-type'] = 'application/json';
    } else if (method !== 'GET' && method !== 'HEAD' && method !== 'DELETE') {
      // The server takes state changes only as JSON (no cross-site form or text/plain request can pass).
      sent['content-type'] ??= 'application/json';
    }
    if (payload) sent['content-length'] = String(payload.length);
    const res = await this.#open(method, path, sent, payload);
    const text = await readText(res);
    const parsed = text ? safeJson(text) : undefined;
    if (!isOk(res)) throw ApiError.fromAnswer(res.statusCode ?? 0, parsed, text || res.statusMessage || '');
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
      if (body instanceof Uint8Array || isStream(body)) {
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
    let res: IncomingMessage;
    try {
      res = await this.#open('GET', path, headers, undefined, signal);
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    if (!isOk(res)) {
      const text = await readText(res);
      throw ApiError.fromAnswer(res.statusCode ?? 0, safeJson(text), text);
    }
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res as AsyncIterable<Uint8Array>) {
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

  /**
   * Sends one request over node:http(s) and answers its response, body unread. The CLI's own requests
   * go this way, not through fetch: fetch's first call loads and compiles its HTTP stack, 70-90 ms of
   * every command's start (a first request took 23-30 ms against fetch's 99-129 ms, same run).
   * @throws ApiError with code `ConnectionRefused` when no server answers.
   */
  async #open(
    method: string,
    path: string,
    headers: Record<string, string>,
    payload?: Uint8Array,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    const url = new URL(this.url(path));
    const sent = this.token ? { ...headers, authorization: `Bearer ${this.token}` } : headers;
    const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
    const options: RequestOptions = { method, headers: sent, ...(signal ? { signal } : {}) };
    return new Promise((resolve, reject) => {
      const req = request(url, options, resolve);
      req.on('error', (err) => {
        if (signal?.aborted) reject(err);
        else
          reject(
            new ApiError(
              'ConnectionRefused',
              `Cannot reach lambdata at ${this.endpoint} (${err.message}). Start it with: lambdata serve`,
              0,
            ),
          );
      });
      req.end(payload);
    });
  }
}

function isStream(body: unknown): boolean {
  return (
    typeof (body as { pipe?: unknown } | undefined)?.pipe === 'function' ||
    (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream)
  );
}

function isOk(res: IncomingMessage): boolean {
  const status = res.statusCode ?? 0;
  return status >= 200 && status < 300;
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
