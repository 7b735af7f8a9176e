import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine.js';
import { InvalidParameterValue } from '../shared/errors.js';
import type { CodeDirs } from './code-dirs.js';

/** What a route handler receives. */
export interface RouteContext {
  engine: Engine;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** The server directories a native deploy may name as `code.dir` (none when absent). */
  codeDirs?: CodeDirs;
}

/** A native API route: `path` is relative to /_lambdata and may hold `:name` segments. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  handler: (ctx: RouteContext) => Promise<void> | void;
  /** 'raw' when the body is not JSON (object bytes, function URL requests): any Content-Type is accepted. */
  body?: 'json' | 'raw';
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

/** Matches method + path against a fixed route table. */
export class Router {
  #routes: CompiledRoute[];

  constructor(routes: Route[]) {
    this.#routes = routes.map(compile);
  }

  /** The matching route and its decoded params; `allowed` lists methods when only the path matched. */
  match(method: string, path: string): { route?: Route; params: Record<string, string>; allowed: string[] } {
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodePathParam(m[i + 1] ?? '');
      });
      return { route, params, allowed };
    }
    return { params: {}, allowed };
  }
}

/**
 * The URL of a request target. An origin-form target (`/path?query`) is always a path, even when it
 * starts with `//` (which `new URL(target, base)` would read as a host).
 * @throws InvalidParameterValueException (400) for a target that is no URL at all.
 */
export function requestUrl(target: string | undefined): URL {
  const text = target || '/';
  try {
    return text.startsWith('/') ? new URL(`http://localhost${text}`) : new URL(text);
  } catch (err) {
    throw new InvalidParameterValue('The request target is not a valid URL', { cause: err });
  }
}

/** A percent-encoded path segment, decoded. @throws InvalidParameterValueException (400) when malformed. */
export function decodePathParam(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch (err) {
    throw new InvalidParameterValue('The request path has malformed percent-encoding', { cause: err });
  }
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        // `:key*` captures the rest of the path (object keys with slashes).
        const rest = segment.endsWith('*');
        names.push(segment.slice(1, rest ? -1 : undefined));
        return rest ? '(.*)' : '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}/?$`), names };
}
