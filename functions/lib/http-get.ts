/**
 * A plain GET over node:http(s) with keep-alive and an idle timeout, for the S3 client's object
 * reads: far less work per chunk than fetch's web streams for large bodies.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Keep-alive connections for GETs (fetch keeps its own pool for the other calls). */
const httpAgent = new HttpAgent({ keepAlive: true });
const httpsAgent = new HttpsAgent({ keepAlive: true });

/** A GET to send. */
export interface HttpGet {
  url: URL;
  path: string;
  headers: Record<string, string>;
  /** The socket may stay silent this long (waiting for the answer or between body chunks). */
  idleTimeoutMs: number;
  /** The error a silent socket fails the request (or the body being read) with. */
  timeoutError(): Error;
}

/**
 * Sends the GET and resolves with the response once its head arrives; the body is the caller's to
 * read. A kept-alive connection the server closed while idle is retried once (GET is idempotent).
 */
export async function httpGet(get: HttpGet): Promise<IncomingMessage> {
  try {
    return await send(get);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { reused?: boolean };
    if (!e.reused || (e.code !== 'ECONNRESET' && e.code !== 'EPIPE')) throw err;
    return send(get);
  }
}

function send(get: HttpGet): Promise<IncomingMessage> {
  const https = get.url.protocol === 'https:';
  return new Promise<IncomingMessage>((resolve, reject) => {
    let response: IncomingMessage | undefined;
    const req = (https ? httpsRequest : httpRequest)(
      {
        method: 'GET',
        protocol: get.url.protocol,
        hostname: get.url.hostname,
        port: get.url.port || undefined,
        path: get.path,
        headers: get.headers,
        agent: https ? httpsAgent : httpAgent,
      },
      (res) => {
        response = res;
        resolve(res);
      },
    );
    req.setTimeout(get.idleTimeoutMs, () => {
      const err = get.timeoutError();
      // Before the head: the promise rejects; after it: whoever reads the body gets the error.
      response?.destroy(err);
      req.destroy(err);
    });
    req.on('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { reused: req.reusedSocket })));
    req.end();
  });
}
