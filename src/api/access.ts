/**
 * Who may use the server when it has a token: a request carries the token (Bearer header; the
 * dashboard's session cookie; `?token=` on a GET, for EventSource and links) or a valid AWS SigV4
 * signature made with the engine's credentials. The same rule holds on every surface.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Credentials } from '../shared/context.js';
import { Unauthorized } from '../shared/errors.js';
import { UNSIGNED_PAYLOAD, verifySigV4 } from './aws/sigv4.js';
import { readBody, setPreReadBody } from './http.js';

/** The dashboard's session cookie. */
export const SESSION_COOKIE = 'lambdata_session';

const SESSION_PATH = '/_lambdata';
// A signed native request is buffered to hash its body (a deploy carries up to ~67 MB of JSON).
const MAX_SIGNED_BODY = 80 * 1024 * 1024;

/** The server's token check; with no token every request passes. */
export class AccessControl {
  readonly #token: string | undefined;
  readonly #session: string | undefined;

  constructor(token: string | undefined) {
    this.#token = token || undefined;
    // The cookie holds a value derived from the token, so reading it does not reveal the token.
    this.#session = this.#token
      ? createHmac('sha256', this.#token).update('lambdata dashboard session').digest('hex')
      : undefined;
  }

  /** True when the server has a token (and so requires it, or a signature, everywhere). */
  get required(): boolean {
    return this.#token !== undefined;
  }

  /** True when `candidate` is the token. */
  isToken(candidate: string | null | undefined): boolean {
    return this.#token !== undefined && typeof candidate === 'string' && same(candidate, this.#token);
  }

  /** True when the request carries the token: Bearer header, session cookie, or `?token=` on a GET. */
  hasToken(req: IncomingMessage, url: URL, options: { cookie: boolean }): boolean {
    if (!this.#token) return true;
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ') && this.isToken(header.slice(7))) return true;
    if (options.cookie && this.#session) {
      const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
      if (cookie && same(cookie, this.#session)) return true;
    }
    // EventSource and download links cannot set headers; only reads may carry the token in the URL.
    return (req.method === 'GET' || req.method === 'HEAD') && this.isToken(url.searchParams.get('token'));
  }

  /** The Set-Cookie value that logs a browser in to the dashboard (HttpOnly, SameSite=Strict). */
  sessionCookie(): string {
    return `${SESSION_COOKIE}=${this.#session ?? ''}; Path=${SESSION_PATH}; HttpOnly; SameSite=Strict`;
  }

  /**
   * Lets a native request through when it carries the token or a valid SigV4 signature.
   * A signed request's body is read here to check its hash (unless it signs UNSIGNED-PAYLOAD).
   * @throws Unauthorized (401) without either; SignatureError (403) for a bad signature.
   */
  async authorizeNative(req: IncomingMessage, url: URL, credentials: Credentials): Promise<void> {
    if (this.hasToken(req, url, { cookie: true })) return;
    if (!isSigned(req, url)) {
      throw new Unauthorized('A valid token is required (Authorization: Bearer <token>) or an AWS SigV4 signature');
    }
    let payloadHash = UNSIGNED_PAYLOAD;
    if (req.headers['x-amz-content-sha256'] !== UNSIGNED_PAYLOAD && !url.searchParams.has('X-Amz-Signature')) {
      const body = await readBody(req, MAX_SIGNED_BODY);
      setPreReadBody(req, body);
      payloadHash = createHash('sha256').update(body).digest('hex');
    }
    await verifySigV4(req, url, payloadHash, credentials);
  }
}

/** True when the request carries a SigV4 signature (header or presigned query). */
export function isSigned(req: IncomingMessage, url: URL): boolean {
  return url.searchParams.has('X-Amz-Signature') || (req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function same(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}
