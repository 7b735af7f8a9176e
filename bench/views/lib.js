// Helpers of the views benchmark: `lambdata serve` as its own process, the native API, percentiles,
// the bare node:http floor server, and a deterministic tweet-like event source.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { listeningUrl } from '../invoke/serve-process.js';

const BIN = fileURLToPath(new URL('../../bin/lambdata.js', import.meta.url));

/** Starts `lambdata serve --port 0` on `dataDir` (node run with `nodeArgs`); resolves with its URL, pid and a stop(). */
export async function startServe(dataDir, env = {}, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'error', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await listeningUrl(child);
  return {
    url,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

/** A JSON call to the native API under /_lambdata; throws with the AWS-style error on non-2xx. */
export async function native(url, method, path, body) {
  const send = () =>
    fetch(`${url}/_lambdata${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  // A kept-alive socket the server closed while idle (the 1 GB run spends seconds on its floor
  // between calls) fails before the request reaches the server: send it again on a fresh one.
  const res = await send().catch((err) => {
    if (err?.cause?.code !== 'UND_ERR_SOCKET') throw err;
    return send();
  });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return parsed;
}

/** The p-th percentile (nearest rank) of `xs`, in the unit given. */
export function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** A bare node:http server in a child process answering every GET with `body` (the round-trip floor). */
export async function startBareServer(body) {
  const code = `
    const body = ${JSON.stringify(body)};
    require('node:http').createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }).listen(0, '127.0.0.1', function () { console.log('http://127.0.0.1:' + this.address().port); });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve) =>
    createInterface({ input: child.stdout }).once('line', (line) => resolve(line.trim())),
  );
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Times `n` sequential calls of `fn` (after `warm` untimed ones); answers the latencies in ms. */
export async function timeCalls(n, fn, warm = 50) {
  for (let i = 0; i < warm; i++) await fn(i);
  const out = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn(i);
    out.push(performance.now() - start);
  }
  return out;
}

const WORDS = (
  'the to a and is in it you of for on my that at with me this be was just so have are not but your all get ' +
  'like no up out what do can now day we when good about one love time will know today new go data stream ' +
  'batch speed view cloud code music coffee game night work world happy people think really going'
).split(' ');

/** Deterministic tweet-like events: `count` of them from `first`, event times spread over `spanMs` before `end`. */
export function* tweets(count, { first = 0, end = Date.now(), spanMs = 3_600_000, extraWord } = {}) {
  let state = 12345 + first;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  for (let i = first; i < first + count; i++) {
    const words = [];
    const length = 6 + Math.floor(random() * 14);
    for (let w = 0; w < length; w++) words.push(WORDS[Math.floor(WORDS.length * random() ** 2.5)]);
    if (extraWord) words.push(extraWord);
    yield {
      id: String(i),
      user: `user${Math.floor(1000 * random() ** 3)}`,
      text: words.join(' '),
      hashtags: [],
      created_at: new Date(end - Math.floor(((first + count - 1 - i) / Math.max(1, count)) * spanMs)).toISOString(),
      lang: 'en',
    };
  }
}

/** The single-core floor: split `jsonl` into lines and JSON.parse each one; answers MB/s. */
export function jsonParseFloor(jsonl) {
  const start = performance.now();
  let words = 0;
  let from = 0;
  for (;;) {
    const end = jsonl.indexOf('\n', from);
    if (end === -1) break;
    const event = JSON.parse(jsonl.slice(from, end));
    words += event.text.length > 0 ? 1 : 0;
    from = end + 1;
  }
  const seconds = (performance.now() - start) / 1000;
  if (words === 0) throw new Error('floor parsed nothing');
  return Buffer.byteLength(jsonl) / 1e6 / seconds;
}

/** jsonParseFloor over `lines` in pieces (one string of 1 GB is past V8's string length limit). */
export function jsonParseFloorOfLines(lines, piece = 100_000) {
  let mb = 0;
  let seconds = 0;
  for (let i = 0; i < lines.length; i += piece) {
    const jsonl = `${lines.slice(i, i + piece).join('\n')}\n`;
    const pieceMb = Buffer.byteLength(jsonl) / 1e6;
    mb += pieceMb;
    seconds += pieceMb / jsonParseFloor(jsonl);
  }
  return mb / seconds;
}

/** Resolves when `probe()` answers truthy (polled every `everyMs`), or rejects after `timeoutMs`. */
export async function until(probe, { timeoutMs = 120_000, everyMs = 0, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => (everyMs ? setTimeout(resolve, everyMs) : setImmediate(resolve)));
  }
}

/**
 * Puts JSON `lines` into stream `stream` from `writers` concurrent PutRecords loops of 500 records
 * (partition key: each line's `user`), resending records a call answered as failed.
 */
export async function putAllLines(kinesis, stream, lines, writers) {
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < lines.length) {
        const batch = lines.slice(next, next + 500);
        next += batch.length;
        const records = batch.map((line) => ({ Data: Buffer.from(line), PartitionKey: JSON.parse(line).user }));
        for (let pending = records; pending.length > 0; ) {
          const answer = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: pending }));
          pending = pending.filter((_, i) => answer.Records?.[i]?.ErrorCode);
        }
      }
    }),
  );
}
