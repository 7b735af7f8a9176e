/**
 * Connection timeouts for the one port that serves HTTP/1.1 and HTTP/2: a connection that sends
 * nothing, stalls in its headers or body, or idles between requests is closed. A request whose body
 * has fully arrived is never cut, however long its answer takes (a 900 s synchronous invocation, an
 * SSE stream), and an upload is never cut while it keeps sending.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';

/** Connection limits, in milliseconds. */
export interface Timeouts {
  headers: number;
  idle: number;
  keepAlive: number;
}

/** The default limits. */
export const TIMEOUTS: Timeouts = {
  /** From a connection's first byte (or its start) to the end of a request's headers. */
  headers: 30_000,
  /** Silence while a request's body is still arriving, or on a connection with nothing in flight. */
  idle: 60_000,
  /** Between requests on a kept-alive HTTP/1.1 connection (above the 60 s of common proxies). */
  keepAlive: 65_000,
};

/**
 * Applies the limits to the HTTP/1.1 server. `requestTimeout` stays 0: a deadline for the whole
 * request would cut large uploads that keep sending; the idle limit closes stalled ones instead.
 */
export function limitHttp1(server: Server, limits: Timeouts = TIMEOUTS): void {
  server.headersTimeout = limits.headers;
  server.requestTimeout = 0;
  server.keepAliveTimeout = limits.keepAlive;
  const current = new WeakMap<Socket, { req: IncomingMessage; res: ServerResponse }>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    current.set(req.socket, { req, res });
  });
  server.setTimeout(limits.idle, (socket: Socket) => {
    // A complete request waits for its answer (long invocation, SSE between heartbeats): keep it.
    const active = current.get(socket);
    if (active?.req.complete && !active.res.writableEnded) return;
    socket.destroy();
  });
}

/** Closes HTTP/2 sessions idle with no stream in flight, and streams whose request body stalls. */
export function limitHttp2(server: Http2Server, limits: Timeouts = TIMEOUTS): void {
  server.on('session', (session: ServerHttp2Session) => {
    let inFlight = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(() => session.close(), limits.idle);
      timer.unref();
    };
    arm();
    session.on('stream', (stream) => {
      inFlight++;
      clearTimeout(timer);
      stream.setTimeout(limits.idle, () => stream.close());
      // Once the request has fully arrived, its answer may take as long as the invocation needs.
      stream.once('end', () => stream.setTimeout(0));
      stream.once('close', () => {
        if (--inFlight === 0 && !session.closed) arm();
      });
    });
    session.once('close', () => clearTimeout(timer));
  });
}

/**
 * Closes a new connection that sends nothing before it is handed to HTTP/1.1 or HTTP/2.
 * @returns a function that lifts the limit once the connection is routed.
 */
export function limitUnrouted(socket: Socket, limits: Timeouts = TIMEOUTS): () => void {
  const close = () => socket.destroy();
  socket.setTimeout(limits.headers);
  socket.once('timeout', close);
  return () => {
    socket.off('timeout', close);
    socket.setTimeout(0);
  };
}
