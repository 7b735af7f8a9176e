/**
 * The AWS Lambda Runtime API (2018-06-01) for one execution environment of a custom runtime
 * (`provided`, `provided.al2023`): a loopback HTTP server whose address the process gets as
 * AWS_LAMBDA_RUNTIME_API. It speaks the same messages as the Node bootstrap's socket, so an
 * Environment drives either one the same way.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  type ChildMessage,
  type InitMessage,
  type InvokeMessage,
  MAX_RESPONSE_BYTES,
  type ParentMessage,
} from './protocol.js';
import { RUN_ERRORS } from './run-errors.js';
import type { FunctionErrorShape } from './types.js';

const PREFIX = '/2018-06-01/runtime';
/** lambdata's own addition, for its pre-started runtimes: blocks until the runtime is handed a function. */
const HANDOFF = `${PREFIX}/lambdata/handoff`;

/** One environment's Runtime API server; see the module comment. */
export class RuntimeApi {
  #server: Server;
  #listener: (message: ChildMessage) => void = () => {};
  #started = performance.now();
  /** A pre-started runtime (Python) waiting at HANDOFF to be handed its function. */
  readonly #blank: boolean;
  #handOffWaiting: ServerResponse | undefined;
  #initMessage: InitMessage | undefined;
  #initSent = false;
  #ready = false;
  #waiting: ServerResponse | undefined;
  #queued: InvokeMessage | undefined;
  #current: { id: string; sentAt: number } | undefined;

  /**
   * A secret path segment every request must start with. The port is on the host's loopback, which
   * every function can reach; only this environment is given the secret (in AWS_LAMBDA_RUNTIME_API,
   * `127.0.0.1:<port>/<secret>`, so `http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/…` URLs carry it), so
   * no other function can take this environment's events or a blank's hand-off.
   */
  readonly #secret = `/${randomBytes(16).toString('hex')}`;

  private constructor(server: Server, blank: boolean) {
    this.#server = server;
    this.#blank = blank;
    server.on('request', (req, res) => this.#route(req, res));
  }

  /**
   * Starts a server on an ephemeral loopback port; `blank` for a pre-started runtime, which asks
   * for its function at HANDOFF and whose Init Duration starts when it is handed one.
   */
  static async listen(blank = false): Promise<RuntimeApi> {
    const server = createServer({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return new RuntimeApi(server, blank);
  }

  /** host:port/secret, the value of AWS_LAMBDA_RUNTIME_API. */
  get address(): string {
    const address = this.#server.address();
    return typeof address === 'object' && address ? `127.0.0.1:${address.port}${this.#secret}` : '';
  }

  /** Receives what the runtime reports (inited, result) in the bootstrap's message shapes. */
  onMessage(listener: (message: ChildMessage) => void): void {
    this.#listener = listener;
  }

  /** `init` completes at the first /next (or /init/error); `invoke` answers the pending /next. */
  send(message: ParentMessage): void {
    if (message.t === 'init') {
      this.#initSent = true;
      if (this.#blank) {
        this.#started = performance.now();
        this.#initMessage = message;
        this.#handOff();
      }
      if (this.#ready) this.#listener({ t: 'inited', ms: performance.now() - this.#started });
      return;
    }
    if (message.t === 'cancel') return; // runs are never queued here (Environment.takesQueued)
    this.#queued = message;
    this.#dispatch();
  }

  close(): void {
    this.#waiting?.destroy();
    this.#server.closeAllConnections();
    this.#server.close();
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const full = req.url ?? '';
    if (!full.startsWith(`${this.#secret}/`)) {
      reply(res, 403, { errorType: 'AccessDenied', errorMessage: "not this environment's Runtime API" });
      return;
    }
    const url = full.slice(this.#secret.length);
    if (req.method === 'GET' && url === `${PREFIX}/invocation/next`) {
      this.#waiting = res;
      if (!this.#ready) {
        this.#ready = true;
        if (this.#initSent) this.#listener({ t: 'inited', ms: performance.now() - this.#started });
      }
      this.#dispatch();
      return;
    }
    if (req.method === 'GET' && url === HANDOFF && this.#blank) {
      this.#handOffWaiting = res;
      this.#handOff();
      return;
    }
    const match = /^\/2018-06-01\/runtime\/(?:invocation\/([^/]+)\/(response|error)|init\/error)$/.exec(url);
    if (req.method !== 'POST' || !match) {
      reply(res, 404, { errorType: 'NotFound', errorMessage: `unknown Runtime API path ${req.method} ${url}` });
      return;
    }
    // After the process's output written before this request has been read (setImmediate runs
    // after the poll phase that read both), so its lines are logged with this invocation.
    readBody(req, (body, tooLarge) => setImmediate(() => this.#answer(req, res, match, body, tooLarge)));
  }

  #answer(req: IncomingMessage, res: ServerResponse, match: RegExpExecArray, body: Buffer, tooLarge: boolean): void {
    const [, id, kind] = match;
    if (id === undefined) {
      this.#ready = true;
      this.#listener({ t: 'inited', ms: performance.now() - this.#started, error: parseError(body, req) });
      reply(res, 202, { status: 'OK' });
      return;
    }
    const current = this.#current;
    if (!current || current.id !== decodeURIComponent(id)) {
      reply(res, 400, { errorType: 'InvalidRequestID', errorMessage: 'Invalid request ID' });
      return;
    }
    this.#current = undefined;
    const ms = performance.now() - current.sentAt;
    if (kind === 'error') {
      this.#listener({ t: 'result', e: parseError(body, req), k: 'unhandled', ms, rss: -1 });
      reply(res, 202, { status: 'OK' });
    } else if (tooLarge) {
      const e = {
        errorType: RUN_ERRORS.ResponseSizeTooLarge,
        errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
      };
      this.#listener({ t: 'result', e, k: 'unhandled', ms, rss: -1 });
      reply(res, 413, { errorType: 'RequestEntityTooLarge', errorMessage: e.errorMessage });
    } else {
      this.#listener({ t: 'result', p: body.length === 0 ? Buffer.from('null') : body, ms, rss: -1 });
      reply(res, 202, { status: 'OK' });
    }
  }

  /** Answers a pre-started runtime's HANDOFF with its function (the init message), once both are there. */
  #handOff(): void {
    const message = this.#initMessage;
    const res = this.#handOffWaiting;
    if (!message || !res) return;
    this.#handOffWaiting = undefined;
    const { codeDir, env, sandbox } = message;
    reply(res, 200, { codeDir, env, sandbox });
  }

  #dispatch(): void {
    const message = this.#queued;
    const res = this.#waiting;
    if (!message || !res) return;
    this.#queued = undefined;
    this.#waiting = undefined;
    this.#current = { id: message.id, sentAt: performance.now() };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': message.id,
      'lambda-runtime-deadline-ms': String(Date.now() + message.ms),
      'lambda-runtime-invoked-function-arn': message.arn,
      'lambda-runtime-trace-id': traceId(message.id),
    };
    // The JSON's UTF-8 bytes as they are: a header value is bytes (latin1 to Node), and a character
    // past U+00FF would make writeHead throw.
    if (message.cc) headers['lambda-runtime-client-context'] = Buffer.from(message.cc, 'base64').toString('latin1');
    headers['content-length'] = String(message.p.length);
    res.writeHead(200, headers);
    res.end(message.p);
  }
}

/** An X-Ray trace header as AWS sends it: `Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0`. */
function traceId(requestId: string): string {
  const hex = requestId.replace(/-/g, '').padEnd(32, '0');
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${hex.slice(0, 24)};Parent=${hex.slice(16, 32)};Sampled=0`;
}

function readBody(req: IncomingMessage, done: (body: Buffer, tooLarge: boolean) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
  });
  req.on('end', () => done(Buffer.concat(chunks), size > MAX_RESPONSE_BYTES));
}

function parseError(body: Buffer, req: IncomingMessage): FunctionErrorShape {
  const headerType = req.headers['lambda-runtime-function-error-type'];
  let parsed: Partial<FunctionErrorShape> = {};
  try {
    parsed = body.length > 0 ? JSON.parse(body.toString('utf8')) : {};
  } catch (err) {
    parsed = { errorMessage: `${body.toString('utf8')} (${(err as Error).message})` };
  }
  const shape: FunctionErrorShape = {
    errorType:
      typeof parsed.errorType === 'string'
        ? parsed.errorType
        : typeof headerType === 'string'
          ? headerType
          : RUN_ERRORS.Unknown,
    errorMessage: typeof parsed.errorMessage === 'string' ? parsed.errorMessage : '',
  };
  if (Array.isArray(parsed.stackTrace)) shape.stackTrace = parsed.stackTrace.map(String);
  // AWS hands the caller the runtime's error document as it was posted.
  if (body.length > 0 && typeof parsed.errorType === 'string') shape.document = body;
  return shape;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
