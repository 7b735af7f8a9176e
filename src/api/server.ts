import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { Duplex } from 'node:stream';
import type { Engine } from '../engine.js';
import { newRequestId } from '../shared/ids.js';
import { createLogger } from '../shared/log.js';
import { distPath } from '../shared/paths.js';
import { pickAwsHandler } from './aws/index.js';
import { verifySigV4 } from './aws/sigv4.js';
import { describeError, readBody, sendJson, sendNativeError, setPreReadBody } from './http.js';
import { nativeRoutes } from './native/index.js';
import { decodePathParam, Router, requestUrl } from './router.js';

/** Options of `startServer`. */
export interface ServerOptions {
  /** Default 127.0.0.1. Binding beyond loopback requires `token`. */
  host?: string;
  /** Default 4566; 0 picks a free port. */
  port?: number;
  /** Bearer token required on the native API and dashboard (mandatory off loopback). */
  token?: string;
  /** Accept unsigned AWS requests (default false: every AWS request needs a valid SigV4 signature). */
  anonymous?: boolean;
}

/** A listening server. */
export interface RunningServer {
  url: string;
  port: number;
  server: NetServer;
  close(): Promise<void>;
}

const NATIVE_PREFIX = '/_lambdata';
// A CreateFunction with a 50 MB zip is ~67 MB of base64 JSON.
const MAX_BUFFERED_BODY = 80 * 1024 * 1024;
// The names JSON-protocol services use for signature failures.
const AUTH_ERROR_TYPES: Record<string, string> = {
  SignatureDoesNotMatch: 'InvalidSignatureException',
  InvalidAccessKeyId: 'UnrecognizedClientException',
  AccessDenied: 'MissingAuthenticationTokenException',
  AuthorizationHeaderMalformed: 'IncompleteSignatureException',
};
const UI_PREFIX = '/_lambdata/ui';
const log = createLogger('server');
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

/**
 * Serves the native API, the dashboard and the AWS wire APIs on one port, and points the engine's
 * functions back at it (AWS_ENDPOINT_URL).
 * @throws when asked to bind beyond loopback without a token.
 */
export async function startServer(engine: Engine, options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.token) {
    throw new Error(`Refusing to bind to ${host} without a token: pass --token (or LAMBDATA_TOKEN)`);
  }
  const router = new Router(nativeRoutes);
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(engine, router, options, req, res).catch((err) => {
      if (describeError(err).status >= 500) log.error('request failed', { err, url: req.url });
      else log.debug('request refused', { err, url: req.url });
      if (!res.headersSent) sendNativeError(res, err);
      else res.destroy();
    });
  };
  const http1 = createServer(onRequest);
  http1.keepAliveTimeout = 65_000;
  http1.headersTimeout = 66_000;
  http1.requestTimeout = 0; // long polls, SSE and large uploads
  // Some SDK v3 clients (Kinesis) speak HTTP/2 with prior knowledge (h2c) to a plain-http endpoint.
  const http2 = createHttp2Server(onRequest as unknown as Parameters<typeof createHttp2Server>[0]);
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    routeConnection(socket, http1, http2);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4566, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  engine.setEndpoint(isLoopback(host) ? url : `http://127.0.0.1:${port}`);
  return {
    url,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        http1.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0');

/**
 * Hands a new connection to the HTTP/1.1 or the HTTP/2 server by its first bytes. HTTP/1.1 gets
 * the socket itself (the peeked bytes are put back); HTTP/2 gets a stream that replays them,
 * since its session reads the socket's handle directly.
 */
function routeConnection(socket: Socket, http1: Server, http2: Http2Server): void {
  socket.once('data', (first: Buffer) => {
    socket.pause();
    if (first.subarray(0, HTTP2_PREFACE.length).equals(HTTP2_PREFACE)) {
      http2.emit('connection', replaying(socket, first));
    } else {
      socket.unshift(first);
      http1.emit('connection', socket);
      socket.resume();
    }
  });
}

function replaying(socket: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read: () => socket.resume(),
    write: (chunk, encoding, callback) => socket.write(chunk, encoding, callback),
    final: (callback) => socket.end(callback),
    destroy: (err, callback) => {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  stream.push(first);
  socket.on('data', (chunk) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('error', (err) => stream.destroy(err));
  socket.on('close', () => stream.destroy());
  Object.assign(stream, { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, encrypted: false });
  return stream;
}

async function handle(
  engine: Engine,
  router: Router,
  options: ServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const requestId = newRequestId();
  const url = requestUrl(req.url);
  const path = url.pathname;
  if (path === NATIVE_PREFIX || path.startsWith(`${NATIVE_PREFIX}/`)) {
    if (path === UI_PREFIX || path.startsWith(`${UI_PREFIX}/`)) return serveUi(req, res, path.slice(UI_PREFIX.length));
    if (options.token && !hasToken(req, url, options.token)) {
      sendJson(res, 401, { error: { code: 'Unauthorized', message: 'A valid token is required' } });
      return;
    }
    const sub = path.slice(NATIVE_PREFIX.length) || '/';
    const { route, params, allowed } = router.match(req.method ?? 'GET', sub);
    if (!route) {
      if (allowed.length)
        sendJson(
          res,
          405,
          { error: { code: 'MethodNotAllowed', message: `Use ${allowed.join(', ')}` } },
          { allow: allowed.join(', ') },
        );
      else sendJson(res, 404, { error: { code: 'NotFound', message: `No route ${req.method} ${path}` } });
      return;
    }
    try {
      await route.handler({ engine, req, res, url, params, requestId });
    } catch (err) {
      const { status } = describeError(err);
      if (status >= 500) log.error('native route failed', { err, path });
      sendNativeError(res, err);
    }
    return;
  }
  const route = pickAwsHandler(req, url);
  if (!route.verifiesOwnSignature) {
    try {
      await verifyBufferedRequest(engine, options, req, url);
    } catch (err) {
      sendAwsJsonError(res, err, requestId);
      return;
    }
  }
  await route.handle({ engine, req, res, url, requestId, anonymous: options.anonymous ?? false });
}

/**
 * Reads the body of a JSON/REST AWS request (Lambda, Kinesis, DynamoDB, SQS) and verifies its SigV4
 * signature over it; the adapter then gets the same bytes from `readBody`.
 */
async function verifyBufferedRequest(
  engine: Engine,
  options: ServerOptions,
  req: IncomingMessage,
  url: URL,
): Promise<void> {
  const body = await readBody(req, MAX_BUFFERED_BODY);
  setPreReadBody(req, body);
  const payloadHash = createHash('sha256').update(body).digest('hex');
  await verifySigV4(req, url, payloadHash, engine.context.credentials, { anonymous: options.anonymous });
}

/** An error in the shape the JSON and REST protocols share: x-amzn-ErrorType plus {__type, message}. */
function sendAwsJsonError(res: ServerResponse, err: unknown, requestId: string): void {
  const { status, code, message } = describeError(err);
  const type = AUTH_ERROR_TYPES[code] ?? code;
  sendJson(
    res,
    status,
    { __type: type, Type: 'User', message },
    { 'x-amzn-errortype': type, 'x-amzn-requestid': requestId },
  );
}

function serveUi(req: IncomingMessage, res: ServerResponse, rest: string): void {
  if (rest === '') {
    res.writeHead(301, { location: `${UI_PREFIX}/` });
    res.end();
    return;
  }
  const root = distPath('web');
  const relative = normalize(decodePathParam(rest === '/' ? '/index.html' : rest));
  if (relative.includes('..')) {
    sendJson(res, 400, { error: { code: 'BadPath', message: 'Invalid path' } });
    return;
  }
  let file = join(root, relative);
  let stat = statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) {
    // Client-side routes fall back to the app shell.
    file = join(root, 'index.html');
    stat = statSync(file, { throwIfNoEntry: false });
  }
  if (!stat?.isFile()) {
    sendJson(res, 404, { error: { code: 'NotFound', message: 'Dashboard not built: run npm run build' } });
    return;
  }
  res.writeHead(200, {
    'content-type': MIME[extname(file)] ?? 'application/octet-stream',
    'content-length': stat.size,
    'cache-control': 'no-cache',
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
}

function hasToken(req: IncomingMessage, url: URL, token: string): boolean {
  const header = req.headers.authorization;
  if (header === `Bearer ${token}`) return true;
  // EventSource cannot set headers: SSE streams may carry the token as a query parameter.
  return url.searchParams.get('token') === token;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
