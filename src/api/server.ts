import { hash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Engine } from '../engine.js';
import { AccessDenied, InvalidParameterValue, ListenFailed, UnsupportedMediaType } from '../shared/errors.js';
import { newRequestId } from '../shared/ids.js';
import { AccessControl } from './access.js';
import { pickAwsHandler } from './aws/index.js';
import { verifySigV4 } from './aws/sigv4.js';
import { CodeDirs } from './code-dirs.js';
import { watchEventLoop } from './event-loop.js';
import { FaultInjector } from './faults.js';
import { serveFunctionUrl, URL_PREFIX } from './function-url-front.js';
import { readBody, sendJson, sendNativeError, setPreReadBody } from './http.js';
import { nativeRoutes } from './native/index.js';
import { RequestGuard } from './request-guard.js';
import { Router, requestUrl } from './router.js';
import { limitHttp1, limitHttp2, limitUnrouted, TIMEOUTS, type Timeouts } from './timeouts.js';
import { serveUi, UI_PREFIX } from './ui.js';

/** Options of `startServer`. */
export interface ServerOptions {
  /** Default 127.0.0.1. Binding beyond loopback requires `token`. */
  host?: string;
  /** Default 4566; 0 picks a free port. */
  port?: number;
  /**
   * The access token. When set, every surface (native API, dashboard, AWS APIs) requires the token
   * or a SigV4 signature made with the engine's credentials; the caller chooses credentials that
   * are not the well-known test/test unless the operator asked for them.
   */
  token?: string;
  /** Accept unsigned AWS requests when there is no token (default false: they need a SigV4 signature). */
  anonymous?: boolean;
  /** Host names the server answers besides its own (exact, or `*.suffix`). */
  allowHosts?: readonly string[];
  /** Server directories a native deploy may name as `code.dir` (none by default). */
  allowCodeDirs?: readonly string[];
  /** Connection limits (tests shorten them); see TIMEOUTS for the defaults. */
  timeouts?: Partial<Timeouts>;
  /** Test-only: throttle every n-th request of some AWS operations (see faults.ts, LAMBDATA_FAULTS). */
  faults?: string;
}

/** A listening server. */
export interface RunningServer {
  url: string;
  port: number;
  server: NetServer;
  close(): Promise<void>;
}

/** What every request is checked against, built once from the options. */
interface Policy {
  guard: RequestGuard;
  access: AccessControl;
  codeDirs: CodeDirs;
  anonymous: boolean;
  faults?: FaultInjector;
}

const NATIVE_PREFIX = '/_lambdata';
// A CreateFunction with a 50 MB zip is ~67 MB of base64 JSON.
const MAX_BUFFERED_BODY = 80 * 1024 * 1024;
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'unknown host',
};

/**
 * Serves the native API, the dashboard and the AWS wire APIs on one port, and points the engine's
 * functions back at it (AWS_ENDPOINT_URL).
 * @throws LambdataError when asked to bind beyond loopback without a token or given a bad
 * allowed host or code dir; ListenFailed (one line: `cannot listen on host:port: reason`).
 */
export async function startServer(engine: Engine, options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 4566;
  if (!isLoopback(host) && !options.token) {
    throw new InvalidParameterValue(`Refusing to bind to ${host} without a token: pass --token (or LAMBDATA_TOKEN)`);
  }
  const policy: Policy = {
    guard: new RequestGuard({ host, allowHosts: options.allowHosts }),
    access: new AccessControl(options.token),
    codeDirs: new CodeDirs(options.allowCodeDirs),
    anonymous: !options.token && (options.anonymous ?? false),
    ...(options.faults ? { faults: new FaultInjector(options.faults) } : {}),
  };
  const router = new Router(nativeRoutes);
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(engine, router, policy, req, res).catch((err) => sendNativeError(res, err, { url: req.url }));
  };
  const limits = { ...TIMEOUTS, ...options.timeouts };
  const http1 = createServer(onRequest);
  limitHttp1(http1, limits);
  // Some SDK v3 clients (Kinesis) speak HTTP/2 with prior knowledge (h2c) to a plain-http endpoint.
  const http2 = createHttp2Server(onRequest as unknown as Parameters<typeof createHttp2Server>[0]);
  limitHttp2(http2, limits);
  const sockets = new Set<Socket>();
  // No Nagle delay on any connection: an answer written in two pieces (HEADERS, then DATA) must not
  // wait ~40 ms for the client's delayed ACK.
  const server = createNetServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    routeConnection(socket, http1, http2, limits);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const reason = LISTEN_ERRORS[err.code ?? ''] ?? err.message;
      reject(new ListenFailed(`cannot listen on ${host}:${port}: ${reason}`, { cause: err }));
    });
    server.listen(port, host, () => resolve());
  });
  const unwatch = watchEventLoop();
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  engine.setEndpoint(isLoopback(host) ? url : `http://127.0.0.1:${bound}`);
  return {
    url,
    port: bound,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        unwatch();
        server.close(() => resolve());
        http1.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0');

/**
 * Hands a new connection to the HTTP/1.1 or the HTTP/2 server by its first bytes, which are put
 * back first. Both get the socket itself: an HTTP/2 session feeds itself what the socket already
 * buffered, then reads its handle natively (a JS stream between them cost a copy and an extra
 * write per frame on every Kinesis call).
 */
function routeConnection(socket: Socket, http1: Server, http2: Http2Server, limits: Timeouts): void {
  const routed = limitUnrouted(socket, limits);
  socket.once('data', (first: Buffer) => {
    routed();
    socket.pause();
    socket.unshift(first);
    if (first.subarray(0, HTTP2_PREFACE.length).equals(HTTP2_PREFACE)) {
      http2.emit('connection', socket);
    } else {
      http1.emit('connection', socket);
      socket.resume();
    }
  });
}

async function handle(
  engine: Engine,
  router: Router,
  policy: Policy,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = requestUrl(req.url);
  const path = url.pathname;
  if (path.startsWith(URL_PREFIX)) {
    const requestId = newRequestId();
    await serveFunctionUrl({ engine, req, res, url, requestId, guard: policy.guard, access: policy.access });
    return;
  }
  if (path === NATIVE_PREFIX || path.startsWith(`${NATIVE_PREFIX}/`)) {
    try {
      policy.guard.check(req);
      if (path === UI_PREFIX || path.startsWith(`${UI_PREFIX}/`)) {
        serveUi(req, res, url, policy.access);
        return;
      }
      if (policy.access.required) await policy.access.authorizeNative(req, url, engine.context.credentials);
    } catch (err) {
      req.resume();
      sendNativeError(res, err);
      return;
    }
    await handleNative(engine, router, policy, req, res, url);
    return;
  }
  const requestId = newRequestId();
  const route = pickAwsHandler(req, url);
  let anonymous = policy.anonymous;
  try {
    policy.guard.check(req);
    if (policy.access.required && req.headers.authorization?.startsWith('Bearer ')) {
      if (!policy.access.hasToken(req, url, { cookie: false })) {
        throw new AccessDenied('The bearer token is not valid');
      }
      // The token stands in for a signature: the adapter sees an anonymous request it may accept.
      delete req.headers.authorization;
      anonymous = true;
    }
    if (!route.verifiesOwnSignature) {
      // A JSON/REST request (Lambda, Kinesis, DynamoDB) is read here to verify its signature over
      // its body; the adapter gets the same bytes from `readBody`.
      const body = await readBody(req, MAX_BUFFERED_BODY);
      setPreReadBody(req, body);
      await verifySigV4(req, url, hash('sha256', body, 'hex'), engine.context.credentials, { anonymous });
    }
  } catch (err) {
    route.sendError(req, res, err, requestId);
    return;
  }
  const fault = policy.faults?.take(route, req, url);
  if (fault) {
    route.sendError(req, res, fault, requestId);
    return;
  }
  await route.handle({ engine, req, res, url, requestId, anonymous });
}

async function handleNative(
  engine: Engine,
  router: Router,
  policy: Policy,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const path = url.pathname;
  const sub = path.slice(NATIVE_PREFIX.length) || '/';
  const { route, params, allowed } = router.match(req.method ?? 'GET', sub);
  if (!route) {
    req.resume();
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
    // A browser sends a POST with a text/plain, form or multipart body (or none) cross-origin without
    // asking first; requiring JSON means no page can drive the API with such a "simple" request.
    // PUT, PATCH and DELETE cannot be sent cross-origin without a preflight, which is never granted.
    if (req.method === 'POST' && route.body !== 'raw' && !isJson(req)) {
      throw new UnsupportedMediaType(`${req.method} ${path} requires Content-Type: application/json`);
    }
    await route.handler({ engine, req, res, url, params, codeDirs: policy.codeDirs });
  } catch (err) {
    req.resume();
    sendNativeError(res, err, { path });
  }
}

function isJson(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'application/json';
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
