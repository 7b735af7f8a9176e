/**
 * view-recompute: starts a batch recompute of a view, for a schedule ("recompute every minute").
 * Calls lambdata's native API (POST /_lambdata/views/{view}/recompute at AWS_ENDPOINT_URL), signed
 * with SigV4 and the function's credentials, so it works on a server that has a token. A recompute
 * that is still running (409) is not an error: the next fire catches up.
 *
 * Event (a schedule's constant input, or a direct invoke): `{ "view": "word-counts", "incremental"?: true }`;
 * without `view` in the event, the VIEW_NAME environment variable names it.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** What one run did. */
export interface RecomputeResult {
  view: string;
  /** The recompute job started, or absent when one was already running. */
  jobId?: string;
  skipped?: string;
}

/** Lambda handler. @throws Error with the server's answer when the view is unknown or the call fails. */
export async function handler(event: unknown): Promise<RecomputeResult> {
  const given = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const view = typeof given.view === 'string' && given.view !== '' ? given.view : process.env.VIEW_NAME;
  if (!view) throw new Error('view-recompute: no view named (event "view" or VIEW_NAME)');
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new Error('view-recompute: AWS_ENDPOINT_URL is not set (it runs against lambdata)');
  const url = new URL(`/_lambdata/views/${encodeURIComponent(view)}/recompute`, endpoint);
  const body = JSON.stringify(given.incremental === true ? { incremental: true } : {});
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const signer = new SignatureV4({
    service: 'lambdata',
    region,
    sha256: Sha256,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
      sessionToken: process.env.AWS_SESSION_TOKEN || undefined,
    },
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
  const res = await fetch(url, { method: 'POST', headers: signed.headers as Record<string, string>, body });
  const text = await res.text();
  if (res.status === 409) {
    console.log(`recompute of ${view} skipped: one is running`);
    return { view, skipped: 'a recompute is running' };
  }
  if (!res.ok) throw new Error(`recompute of ${view} answered ${res.status}: ${text.slice(0, 300)}`);
  const { jobId } = JSON.parse(text) as { jobId: string };
  console.log(`recompute of ${view} started: job ${jobId}`);
  return { view, jobId };
}
