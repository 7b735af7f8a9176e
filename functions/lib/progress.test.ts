import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProgressReporter } from './progress.js';
import type { MapEvent, MapPiece } from './protocol.js';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A stand-in engine on loopback answering `status`; resolves each request's path, auth header and body. */
async function engine(status: number) {
  const received: Array<{ path: string; authorization: string; body: unknown }> = [];
  let notify: () => void = () => {};
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        authorization: String(req.headers.authorization ?? ''),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      res.writeHead(status).end();
      notify();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  const { port } = server.address() as AddressInfo;
  const next = () =>
    new Promise<void>((resolve) => {
      notify = resolve;
    });
  return { url: `http://127.0.0.1:${port}`, received, next };
}

const event: MapEvent = {
  jobId: 'j-1',
  taskId: 'm2',
  attempt: 3,
  splits: [],
  progress: { intervalMs: 0, secret: 's3cret' },
};
const piece = (key: string, bytes: number): MapPiece => ({
  key,
  offset: 0,
  start: 0,
  end: bytes,
  words: bytes / 10,
  lines: bytes / 100,
  bytes,
});

describe('ProgressReporter', () => {
  it('posts the attempt’s cumulative figures and finished objects, signed, to the job’s progress route', async () => {
    const server = await engine(204);
    const reporter = new ProgressReporter(event, { AWS_ENDPOINT_URL: server.url, AWS_ACCESS_KEY_ID: 'test' });
    const done = piece('a.txt', 1000);
    reporter.objectDone(done);
    const arrived = server.next();
    reporter.maybeSend([done, piece('b.txt', 500)]);
    await arrived;
    expect(server.received[0]?.path).toBe('/_lambdata/jobs/j-1/progress');
    expect(server.received[0]?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\//);
    expect(server.received[0]?.body).toEqual({
      taskId: 'm2',
      attempt: 3,
      secret: 's3cret',
      bytes: 1500,
      words: 150,
      lines: 15,
      keys: 1,
      objects: [{ key: 'a.txt', words: 100, lines: 10, bytes: 1000 }],
    });
  });

  it('stops reporting when the engine refuses a report', async () => {
    const server = await engine(403);
    const reporter = new ProgressReporter(event, { AWS_ENDPOINT_URL: server.url });
    const arrived = server.next();
    reporter.maybeSend([piece('a.txt', 100)]);
    await arrived;
    await new Promise((resolve) => setTimeout(resolve, 50));
    reporter.maybeSend([piece('a.txt', 200)]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.received).toHaveLength(1);
  });

  it('does nothing when the event asks for no progress', async () => {
    const server = await engine(204);
    const reporter = new ProgressReporter({ ...event, progress: undefined }, { AWS_ENDPOINT_URL: server.url });
    reporter.maybeSend([piece('a.txt', 100)]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.received).toHaveLength(0);
  });
});
