// The functions the burst benchmark deploys: a heavy first invocation and a sleeper for timer drift.
import { zipSync } from 'fflate';

/** A function that loads a generated module tree and @aws-sdk/client-s3 at init, then reads one object. */
export function heavyPackage(modules) {
  const files = {};
  const names = [];
  for (let m = 0; m < modules; m++) {
    const name = `lib/m${m}.js`;
    names.push(name);
    let body = `'use strict';\nconst shape${m} = {\n`;
    for (let k = 0; k < 60; k++)
      body += `  op${k}: { name: 'Operation${m}_${k}', http: { method: 'POST', requestUri: '/${m}/${k}' }, input: { type: 'structure', members: { A: { type: 'string' }, B: { type: 'integer', min: ${k} } } } },\n`;
    body += `};\nclass Service${m} {\n  constructor(c) { this.c = c; }\n`;
    for (let k = 0; k < 20; k++)
      body += `  call${k}(p) { const o = shape${m}.op${k}; return { op: o.name, uri: o.http.requestUri, p: JSON.stringify(p) + ${k} }; }\n`;
    body += `}\nmodule.exports = { Service${m}, shape${m} };\n`;
    files[name] = Buffer.from(body);
  }
  files['lib/index.js'] = Buffer.from(names.map((n, i) => `exports.s${i} = require('./${n.slice(4)}');`).join('\n'));
  files['index.js'] = Buffer.from(`'use strict';
const sdk = require('./lib/index.js');
const { S3Client, GetObjectCommand } = require('@aws-sdk/client-s3');
const s3 = new S3Client({ forcePathStyle: true });
let spent = 0;
exports.handler = async () => {
  const out = await s3.send(new GetObjectCommand({ Bucket: 'burst', Key: 'small.txt' }));
  const text = await out.Body.transformToString();
  const cpu = process.cpuUsage();
  const total = (cpu.user + cpu.system) / 1000;
  const cpuMs = total - spent; // the process's start and init count toward its first invocation
  spent = total;
  return { bytes: text.length, services: Object.keys(sdk).length, cpuMs };
};
`);
  return Buffer.from(zipSync(files, { level: 1 }));
}

/** A function that sleeps `event.ms`: invoked with more than its timeout, it shows when the timeout fires. */
export function sleeperPackage() {
  return Buffer.from(
    zipSync({
      'index.mjs': Buffer.from(
        'export const handler = (event) => new Promise((done) => setTimeout(done, event.ms));\n',
      ),
    }),
  );
}
