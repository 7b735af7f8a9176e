import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * fetch() with a SigV4 signature for the engine's default credentials (test/test), for tests that
 * send raw AWS requests (malformed bodies, operations no SDK exposes) to signature-checked APIs.
 */
export async function signedFetch(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array },
  service: string,
): Promise<Response> {
  const target = new URL(url);
  const signer = new SignatureV4({
    service,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: init.method ?? 'GET',
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port ? Number(target.port) : undefined,
    path: target.pathname,
    query: Object.fromEntries(target.searchParams),
    headers: { host: target.host, ...init.headers },
    body: init.body,
  });
  return fetch(url, { method: signed.method, headers: signed.headers, body: init.body as BodyInit | undefined });
}
