import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { InvalidRequestContent, LambdataError, RequestTooLarge } from '../shared/errors.js';
import { createLogger } from '../shared/log.js';

const log = createLogger('server');

// Bodies the server already read (to verify their signature), handed to the adapter's readBody.
const preRead = new WeakMap<IncomingMessage, Buffer>();

/** Records a body read ahead of the handler; `readBody` returns it instead of reading the stream. */
export function setPreReadBody(req: IncomingMessage, body: Buffer): void {
  preRead.set(req, body);
}

/** The request body as a stream: the bytes read ahead (to verify a signature), or the request itself. */
export function requestBody(req: IncomingMessage): Readable {
  const early = preRead.get(req);
  return early ? Readable.from([early]) : req;
}

/**
 * Reads a request body into memory, refusing more than `limit` bytes (413 RequestTooLargeException;
 * the request is destroyed). Read with stream events rather than an async iterator: on the invoke
 * path the iterator's set-up cost more per call than the rest of the request handling.
 */
export function readBody(req: IncomingMessage, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const early = preRead.get(req);
  if (early) return early.length > limit ? Promise.reject(tooLarge(limit)) : Promise.resolve(early);
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (err?: Error) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', settle);
      req.off('close', onClose);
      if (err) reject(err);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      settle(tooLarge(limit));
      req.destroy();
    };
    const onEnd = () => settle();
    const onClose = () => settle(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', settle);
    req.on('close', onClose);
  });
}

/** Parses a JSON body; malformed JSON is a 400 InvalidRequestContentException. */
export async function readJson<T = unknown>(req: IncomingMessage, limit?: number): Promise<T> {
  const body = await readBody(req, limit);
  if (body.length === 0) return {} as T;
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch (err) {
    throw new InvalidRequestContent('Could not parse request body into json', { cause: err });
  }
}

/**
 * Parses a JSON body that must be an object (an empty body is `{}`).
 * @throws InvalidRequestContentException (400) for malformed JSON, `null`, arrays and scalars.
 */
export async function readJsonObject<T extends object = Record<string, unknown>>(
  req: IncomingMessage,
  limit?: number,
): Promise<T> {
  const value = await readJson(req, limit);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidRequestContent('The request body must be a JSON object');
  }
  return value as T;
}

/** Sends a JSON document. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * The native API's error shape: `{ error: { code, message } }` with the error's status. Answers of
 * 500 or more are logged (with `context`, e.g. the path); others at debug level.
 */
export function sendNativeError(res: ServerResponse, err: unknown, context: Record<string, unknown> = {}): void {
  const { status, code, message } = describeError(err);
  if (status >= 500) log.error('request failed', { err, ...context });
  else log.debug('request refused', { err, ...context });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: { code, message } });
}

/** Status, code and message of any thrown value (non-LambdataErrors are 500 ServiceException). */
export function describeError(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof LambdataError) return { status: err.status, code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, code: 'ServiceException', message };
}

function tooLarge(limit: number): RequestTooLarge {
  return new RequestTooLarge(`Request must be smaller than ${limit} bytes for the operation`);
}
