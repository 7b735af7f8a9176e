// CPU per SigV4 verification of an SDK-signed Lambda Invoke, beside what the SDK's own signer
// (@smithy/signature-v4, with the engine's node:crypto SHA-256, keys cached) takes to compute the
// same signature alone: before the direct path, every header-signed request paid that call plus the
// parsing around it, so the second figure is a lower bound of the old verification.
// Usage: npm run build && node bench/invoke/sigv4.js [--quick]
import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { verifySigV4 } from '../../dist/api/aws/sigv4.js';
import { NodeSha256 } from '../../dist/shared/node-sha256.js';

const RUNS = process.argv.includes('--quick') ? 5_000 : 50_000;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const signer = new SignatureV4({ service: 'lambda', region: 'us-east-1', credentials, sha256: NodeSha256 });
const body = '{}';
const toSign = {
  method: 'POST',
  protocol: 'http:',
  hostname: '127.0.0.1',
  port: 4566,
  path: '/2015-03-31/functions/noop/invocations',
  query: {},
  headers: {
    host: '127.0.0.1:4566',
    'content-type': 'application/json',
    'content-length': '2',
    'x-amz-user-agent': 'aws-sdk-js/3',
    'user-agent': 'aws-sdk-js/3 ua/2.1 os/linux',
    'amz-sdk-invocation-id': 'e3b0c442-98fc-1c14-9afb-f4c8996fb924',
    'amz-sdk-request': 'attempt=1; max=3',
  },
  body,
};
const signed = await signer.sign(toSign);
const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
const req = { method: 'POST', url: toSign.path, headers };
const url = new URL(`http://127.0.0.1:4566${req.url}`);
const payloadHash = createHash('sha256').update(body).digest('hex');
const signedHeaders = new Set(/SignedHeaders=([^,]+)/.exec(headers.authorization)[1].split(';'));
const signingDate = new Date();

const time = async (label, once) => {
  for (let i = 0; i < RUNS / 5; i++) await once(); // warm-up
  const best = [];
  for (let round = 0; round < 3; round++) {
    const started = process.cpuUsage();
    for (let i = 0; i < RUNS; i++) await once();
    const spent = process.cpuUsage(started);
    best.push((spent.user + spent.system) / RUNS);
  }
  const us = Math.min(...best);
  console.log(`${label.padEnd(58)} ${us.toFixed(1).padStart(6)} µs CPU each (best of 3 × ${RUNS})`);
  return us;
};

const direct = await time('verifySigV4, header-signed Lambda Invoke', () =>
  verifySigV4(req, url, payloadHash, credentials),
);
const sdk = await time("the SDK signer's sign() alone over the same request", () =>
  signer.sign(
    { ...toSign, headers: { ...toSign.headers, 'x-amz-content-sha256': payloadHash } },
    { signingDate, signableHeaders: signedHeaders },
  ),
);
console.log(`whole verification ÷ the SDK's sign() alone: ${(direct / sdk).toFixed(2)}x`);
