/**
 * Signed JSON POSTs from a function to the engine's native API (`/_lambdata/…`), with the function's
 * own credentials: how a mapper reports progress and asks for local reads.
 */
import { type Agent as HttpAgent, request as httpRequest } from 'node:http';
import { type Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../src/shared/node-sha256.js';

/** A SigV4 signer for the engine with the credentials and region the environment was given. */
export function engineSigner(env: NodeJS.ProcessEnv): SignatureV4 {
  return new SignatureV4({
    service: 'lambda',
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    sha256: NodeSha256,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID || 'test',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY || 'test',
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
    },
  });
}

/** POSTs `body` (JSON text) to `url`, signed; answers the status and the answer's text. */
export async function postToEngine(
  signer: SignatureV4,
  url: URL,
  body: string,
  options: { timeoutMs: number; agent?: HttpAgent | HttpsAgent },
): Promise<{ status: number; text: string }> {
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query: {},
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
  const https = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      {
        method: 'POST',
        hostname: url.hostname,
        port: url.port || undefined,
        path: url.pathname,
        headers: { ...signed.headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(options.agent ? { agent: options.agent } : {}),
        timeout: options.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
