// The two-process floor for the serve benchmarks: a bare node:http server in its own process that
// hands every request's body to a child process (echo-child.mjs) over a socket on the child's fd 3,
// framed as lambdata's environments are (dist/runtime/frames.js), and answers when the child does.
// No routing, signatures, records or logs: what any server pays that runs the function in another
// process, one hop more than bare-server.mjs. One child per core, picked round robin; each child
// answers in order, so a FIFO of waiting responses per child is enough.
// Prints `listening on http://127.0.0.1:PORT` like `lambdata serve` does.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { encodeFrame, FrameReader } from '../../dist/runtime/frames.js';
import { answerInvoke } from './invoke-answer.mjs';
import { here } from './stats.js';

const children = Array.from({ length: availableParallelism() }, () => {
  const child = spawn(process.execPath, [join(here, 'echo-child.mjs')], {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
  });
  const waiting = [];
  const reader = new FrameReader(() => waiting.shift()?.());
  child.stdio[3].on('data', (chunk) => reader.push(chunk));
  return { channel: child.stdio[3], waiting, child };
});
let next = 0;

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const target = children[next];
    next = (next + 1) % children.length;
    target.waiting.push(() => {
      answerInvoke(req, res);
    });
    target.channel.write(encodeFrame({ t: 'invoke', id: 'r', arn: 'arn', ms: 3000 }, Buffer.concat(chunks)));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => {
  for (const { child } of children) child.kill();
  process.exit(0);
});
