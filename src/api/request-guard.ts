/**
 * Which requests the server answers at all, whoever sends them: the Host must be one of the
 * server's own names (DNS rebinding defence) and a browser request must come from the server's own
 * origin (no cross-site request can change state). Applies to every surface on the port.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname as machineName, networkInterfaces } from 'node:os';
import { AccessDenied } from '../shared/errors.js';

/** Options of `RequestGuard`. */
export interface RequestGuardOptions {
  /** The address the server binds; its name is one of the server's own. */
  host: string;
  /** More names the server answers to: exact (`lambdata.internal`) or `*.suffix` (`*.lambdata.internal`). */
  allowHosts?: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const WILDCARD_BINDS = new Set(['0.0.0.0', '::', '']);
/** Host headers whose verdict is remembered (a client sends the same one on every request). */
const KNOWN_HOSTS = 256;

/** Checks the Host, Origin and Sec-Fetch-Site headers of each request. */
export class RequestGuard {
  #names = new Set<string>(['localhost', '::1']);
  #suffixes = ['.localhost'];
  /** Host header → whether it names this server; parsing it as a URL cost more than the rest of the check. */
  #verdicts = new Map<string, boolean>();

  /** @throws Error naming `--allow-host` when an allowed name is empty or malformed. */
  constructor(options: RequestGuardOptions) {
    const bound = stripBrackets(options.host.toLowerCase());
    if (WILDCARD_BINDS.has(bound)) {
      // Bound to every interface: each interface's address and the machine's name are its own.
      this.#names.add(machineName().toLowerCase());
      for (const addresses of Object.values(networkInterfaces())) {
        for (const address of addresses ?? []) this.#names.add(address.address.toLowerCase());
      }
    } else {
      this.#names.add(bound);
    }
    for (const raw of options.allowHosts ?? []) {
      const name = stripBrackets(raw.trim().toLowerCase());
      if (!name || /[/\s@]/.test(name)) throw new Error(`--allow-host: '${raw}' is not a host name`);
      if (name.startsWith('*.')) this.#suffixes.push(name.slice(1));
      else this.#names.add(name);
    }
  }

  /** True when `hostname` (no port, no brackets) is one of the server's own names. */
  allowsHost(hostname: string): boolean {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    if (this.#names.has(name)) return true;
    if (isIP(name) === 4 && name.startsWith('127.')) return true;
    return this.#suffixes.some((suffix) => name.endsWith(suffix) && name.length > suffix.length);
  }

  /**
   * Refuses a request whose Host is not the server's, whose Origin is another site's, or that a
   * browser marks cross-site or same-site (another port) while it changes state. Only a function
   * URL passes `allowsOrigin` (its CORS config): an Origin it allows is let through, Host still checked.
   * @throws AccessDenied (403)
   */
  check(req: IncomingMessage, options: { allowsOrigin?: (origin: string) => boolean } = {}): void {
    const host = requestHost(req);
    if (!host) throw new AccessDenied('The request has no Host header');
    if (!this.#hostIsOurs(host)) {
      throw new AccessDenied(
        `Host '${host}' is not one of this server's names; start lambdata serve with --allow-host ${hostnameOf(host) ?? host} to answer it`,
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && options.allowsOrigin?.(origin)) return;
    if (origin !== undefined && !sameHost(origin, host)) {
      throw new AccessDenied(`Cross-origin requests are refused (Origin ${origin})`);
    }
    const site = req.headers['sec-fetch-site'];
    if ((site === 'cross-site' || site === 'same-site') && !SAFE_METHODS.has(req.method ?? 'GET')) {
      throw new AccessDenied(`Cross-site ${req.method} requests are refused (Sec-Fetch-Site: ${site})`);
    }
  }

  #hostIsOurs(host: string): boolean {
    let ours = this.#verdicts.get(host);
    if (ours === undefined) {
      const hostname = hostnameOf(host);
      ours = hostname !== undefined && this.allowsHost(hostname);
      if (this.#verdicts.size >= KNOWN_HOSTS) this.#verdicts.clear();
      this.#verdicts.set(host, ours);
    }
    return ours;
  }
}

/** The Host of a request: the Host header, or HTTP/2's :authority. */
export function requestHost(req: IncomingMessage): string | undefined {
  const host = req.headers.host ?? req.headers[':authority'];
  return typeof host === 'string' && host !== '' ? host.toLowerCase() : undefined;
}

/** `bucket.localhost:4566` → `bucket.localhost`, `[::1]:4566` → `::1`; undefined when malformed. */
function hostnameOf(host: string): string | undefined {
  try {
    return stripBrackets(new URL(`http://${host}`).hostname);
  } catch {
    // Not a valid authority (spaces, userinfo tricks …): never one of ours.
    return undefined;
  }
}

function sameHost(origin: string, host: string): boolean {
  try {
    return new URL(origin).host.toLowerCase() === new URL(`http://${host}`).host.toLowerCase();
  } catch {
    // `null` (sandboxed frames, file: pages) and malformed origins are nobody's own.
    return false;
  }
}

function stripBrackets(name: string): string {
  return name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
}
