// CPU the server spends verifying the SigV4 signature of one SDK Invoke request, beside its floor
// measured in the same run: what @smithy/signature-v4 (the SDK's own signer, on node:crypto) spends
// signing that request in the client. Verifying recomputes the same signature, so 1x is the floor.
// Usage: npm run build && node bench/invoke/sigv4.js [--quick]
import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { verifySigV4 } from '../../dist/api/aws/sigv4.js';
import { NodeSha256 } from '../../dist/shared/node-sha256.js';

const quick = process.argv.includes('--quick');
const CALLS = quick ? 2000 : 20000;
const ROUNDS = quick ? 2 : 6;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const body = '{}';
const bodyHash = createHash('sha256').update(body).digest('hex');
const signer = new SignatureV4({ service: 'lambda', region: 'us-east-1', sha256: NodeSha256, credentials });
// The headers @aws-sdk/client-lambda sends with an Invoke.
const unsigned = {
  method: 'POST',
  protocol: 'http:',
  hostname: '127.0.0.1',
  port: 4566,
  path: '/2015-03-31/functions/noop/invocations',
  query: {},
  headers: {
    host: '127.0.0.1:4566',
    'content-type': 'application/octet-stream',
    'content-length': '2',
    'user-agent': 'aws-sdk-js/3 ua/2.1 os/linux lang/js md/nodejs#20 api/lambda#3',
    'x-amz-user-agent': 'aws-sdk-js/3',
    'amz-sdk-invocation-id': '0f2c3a54-6d4e-4c62-9a3e-1b7c2d9e8f10',
    'amz-sdk-request': 'attempt=1; max=3',
    'x-amz-content-sha256': bodyHash,
  },
  body,
};
const sign = () => signer.sign(unsigned);
const signed = await sign();
const req = {
  method: 'POST',
  url: unsigned.path,
  headers: Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value])),
};
const url = new URL(`http://127.0.0.1:4566${req.url}`);
const verify = () => verifySigV4(req, url, bodyHash, credentials);

const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
async function perCall(once) {
  const before = cpuMicros();
  for (let i = 0; i < CALLS; i++) await once();
  return (cpuMicros() - before) / CALLS;
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

for (let i = 0; i < CALLS / 10; i++) {
  await sign();
  await verify();
}
const verified = [];
const signing = [];
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    verified.push(await perCall(verify));
    signing.push(await perCall(sign));
  } else {
    signing.push(await perCall(sign));
    verified.push(await perCall(verify));
  }
}
const ours = median(verified);
const floor = median(signing);
console.log(
  `SigV4 verify of an SDK Invoke request: ${ours.toFixed(1)} µs CPU   floor (the SDK signer signing it) ${floor.toFixed(1)} µs` +
    `   ratio ${(ours / floor).toFixed(2)}x   (${ROUNDS} rounds of ${CALLS}, medians)`,
);
