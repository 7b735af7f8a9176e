/**
 * A small Lambda Invoke client for use inside functions: `POST /2015-03-31/functions/<name>/invocations`
 * at AWS_ENDPOINT_URL (or the regional AWS endpoint), SigV4-signed, so the same code calls
 * lambdata or real AWS Lambda. Throttling (429) is retried with exponential backoff and full jitter.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../src/shared/node-sha256.js';

/** What an invocation answered. */
export interface InvokeAnswer {
  status: number;
  payload: Buffer;
  /** 'Handled' | 'Unhandled' when the function failed. */
  functionError?: string;
  requestId?: string;
  /** Base64 of the last 4 KB of the invocation's log (with `logType: 'Tail'`). */
  logResult?: string;
  /** Number of 429s retried before this answer. */
  throttles: number;
}

/** Invoke failed at the HTTP level (not a function error); `code` is the AWS error type. */
export class InvokeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'InvokeError';
  }
}

const BASE_DELAY_MS = 20;
const MAX_DELAY_MS = 2_000;

/** Options of `invoke`. */
export interface InvokeOptions {
  /** Give up on throttling after this long (default 10 minutes). */
  maxWaitMs?: number;
  /** 'Tail' asks for the end of the log (with its REPORT line) in `logResult`. */
  logType?: 'None' | 'Tail';
}

/**
 * Invokes `functionName` synchronously with a JSON payload.
 * @throws InvokeError on non-throttling HTTP errors, or when throttled beyond `maxWaitMs`.
 */
export async function invoke(
  functionName: string,
  payload: unknown,
  options: InvokeOptions = {},
): Promise<InvokeAnswer> {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const endpoint = new URL(
    process.env.AWS_ENDPOINT_URL_LAMBDA ?? process.env.AWS_ENDPOINT_URL ?? `https://lambda.${region}.amazonaws.com`,
  );
  const body = JSON.stringify(payload ?? {});
  const path = `${endpoint.pathname.replace(/\/$/, '')}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
  const deadline = Date.now() + (options.maxWaitMs ?? 600_000);
  for (let attempt = 0; ; attempt++) {
    const signed = await signer(region).sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port ? Number(endpoint.port) : undefined,
      path,
      headers: {
        host: endpoint.host,
        'content-type': 'application/json',
        'x-amz-invocation-type': 'RequestResponse',
        ...(options.logType === 'Tail' ? { 'x-amz-log-type': 'Tail' } : {}),
      },
      body,
    });
    const res = await fetch(new URL(path, endpoint), {
      method: 'POST',
      headers: signed.headers as Record<string, string>,
      body,
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    if (res.status === 429 && Date.now() < deadline) {
      const cap = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempt, 10));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
      continue;
    }
    if (res.status >= 300) {
      const type = res.headers.get('x-amzn-errortype')?.split(':')[0] ?? errorType(bytes) ?? `Http${res.status}`;
      throw new InvokeError(type, bytes.toString('utf8').slice(0, 500), res.status);
    }
    const functionError = res.headers.get('x-amz-function-error') ?? undefined;
    const requestId = res.headers.get('x-amzn-requestid') ?? undefined;
    const logResult = res.headers.get('x-amz-log-result') ?? undefined;
    return { status: res.status, payload: bytes, functionError, requestId, logResult, throttles: attempt };
  }
}

let cached: { region: string; signer: SignatureV4 } | undefined;

function signer(region: string): SignatureV4 {
  if (cached?.region === region) return cached.signer;
  const credentials = {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    sessionToken: process.env.AWS_SESSION_TOKEN || undefined,
  };
  cached = { region, signer: new SignatureV4({ service: 'lambda', region, credentials, sha256: NodeSha256 }) };
  return cached.signer;
}

function errorType(bytes: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { __type?: string; Type?: string };
    return parsed.__type ?? parsed.Type;
  } catch {
    return undefined;
  }
}
