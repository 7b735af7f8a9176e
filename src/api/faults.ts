/**
 * Test-only fault injection (LAMBDATA_FAULTS, read once when `lambdata serve` starts): every n-th
 * request of an operation is answered with AWS's throttling error instead of being served, so a
 * second server standing in for AWS exercises a client's retries. Never set it in production.
 *
 * Syntax: comma-separated `op=status/n`, op one of invoke (Lambda Invoke), list, head, get, put (S3),
 * status 429 (Lambda TooManyRequestsException) or 503 (S3 SlowDown). `invoke=429/3,list=503/2`
 * throttles every third Invoke and every second ListObjectsV2.
 */
import type { IncomingMessage } from 'node:http';
import { InvalidParameterValue, type LambdataError, TooManyRequests } from '../shared/errors.js';
import { createLogger } from '../shared/log.js';
import type { AwsRoute } from './aws/index.js';
import { slowDown } from './aws/s3/errors.js';

const OPS = ['invoke', 'list', 'head', 'get', 'put'] as const;
type FaultOp = (typeof OPS)[number];
const RULE = /^(invoke|list|head|get|put)=(429|503)\/(\d+)$/;
const INVOKE_PATH = /^\/2015-03-31\/functions\/[^/]+\/invocations$/;

const log = createLogger('faults');

/** Counts requests per operation and says which to fail. */
export class FaultInjector {
  readonly #rules = new Map<FaultOp, { status: number; every: number; seen: number; injected: number }>();

  /** @throws InvalidParameterValue for a malformed rule. */
  constructor(spec: string) {
    for (const rule of spec
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean)) {
      const m = RULE.exec(rule);
      if (!m || Number(m[3]) < 2)
        throw new InvalidParameterValue(
          `LAMBDATA_FAULTS: '${rule}' is not op=429|503/n (n ≥ 2; op: ${OPS.join(', ')})`,
        );
      this.#rules.set(m[1] as FaultOp, { status: Number(m[2]), every: Number(m[3]), seen: 0, injected: 0 });
    }
  }

  /** The error to answer instead of serving this request, or undefined to serve it. */
  take(route: AwsRoute, req: IncomingMessage, url: URL): LambdataError | undefined {
    const op = operationOf(route, req, url);
    const rule = op ? this.#rules.get(op) : undefined;
    if (!op || !rule) return undefined;
    rule.seen++;
    if (rule.seen % rule.every !== 0) return undefined;
    rule.injected++;
    log.warn('fault injected', { op, status: rule.status, injected: rule.injected });
    return rule.status === 429
      ? new TooManyRequests('Rate Exceeded. (injected by LAMBDATA_FAULTS)')
      : slowDown('Please reduce your request rate. (injected by LAMBDATA_FAULTS)');
  }
}

function operationOf(route: AwsRoute, req: IncomingMessage, url: URL): FaultOp | undefined {
  if (route.service === 'lambda') return req.method === 'POST' && INVOKE_PATH.test(url.pathname) ? 'invoke' : undefined;
  if (route.service !== 's3') return undefined;
  const keyed = url.pathname.replace(/^\/+|\/+$/g, '').includes('/');
  if (req.method === 'GET' && url.searchParams.get('list-type') === '2' && !keyed) return 'list';
  if (!keyed) return undefined;
  if (req.method === 'HEAD') return 'head';
  if (req.method === 'GET' && [...url.searchParams.keys()].length === 0) return 'get';
  if (req.method === 'PUT' && !url.searchParams.has('partNumber')) return 'put';
  return undefined;
}
