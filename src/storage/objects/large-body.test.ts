import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testContext } from '../../../test/helpers/engine-context.js';
import { sendBody } from './file-body.js';
import { ObjectStore } from './object-store.js';

let ctx: ReturnType<typeof testContext>;
let store: ObjectStore;
// Larger than several write batches, so it is hashed on the MD5 worker and synced in the background.
const data = randomBytes(11 * 1024 * 1024 + 12345);
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

beforeAll(async () => {
  ctx = testContext('objects');
  store = new ObjectStore(ctx);
  await store.start();
  store.createBucket('big');
});
afterAll(async () => {
  await store.stop();
  ctx.dispose();
});

/** Chunks of uneven sizes, as a network delivers them. */
function uneven(buffer: Buffer): Readable {
  const sizes = [1, 65536, 7, 300000, 1 << 20, 4099];
  return Readable.from(
    (function* () {
      for (let at = 0, i = 0; at < buffer.length; i++) {
        const n = sizes[i % sizes.length] as number;
        yield buffer.subarray(at, at + n);
        at += n;
      }
    })(),
  );
}

/** A writable that keeps what it is sent, optionally failing (as a hung-up socket does) after `limit` bytes. */
function sink(limit = Number.POSITIVE_INFINITY): Writable & { bytes(): Buffer } {
  const chunks: Buffer[] = [];
  let size = 0;
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      size += chunk.length;
      if (size > limit) {
        out.destroy();
        return;
      }
      setImmediate(callback);
    },
  });
  return Object.assign(out, { bytes: () => Buffer.concat(chunks) });
}

describe('large bodies', () => {
  it('stores the exact bytes with the MD5 ETag, concurrently, and sends them whole or as a range', async () => {
    const other = Buffer.from(data).reverse();
    const [a, b] = await Promise.all([
      store.putObject('big', 'a', uneven(data)),
      store.putObject('big', 'b', uneven(other)),
    ]);
    expect(a.etag).toBe(`"${md5(data)}"`);
    expect(b.etag).toBe(`"${md5(other)}"`);
    const whole = sink();
    await sendBody((await store.getObject('big', 'a')).body, whole);
    expect(whole.bytes().equals(data)).toBe(true);
    const part = sink();
    const read = await store.getObject('big', 'b', { range: 'bytes=3000000-9000000' });
    await sendBody(read.body, part);
    expect(part.bytes().equals(other.subarray(3000000, 9000001))).toBe(true);
    // The same body consumed as a plain stream.
    const chunks: Buffer[] = [];
    for await (const chunk of (await store.getObject('big', 'a', { range: 'bytes=-5' })).body) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(data.subarray(-5))).toBe(true);
  });

  it('stops with a premature close when the receiver goes away mid-body', async () => {
    await store.putObject('big', 'c', data);
    const dest = sink(3 * 1024 * 1024);
    const { body } = await store.getObject('big', 'c');
    await expect(sendBody(body, dest)).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    expect(body.destroyed).toBe(true);
    expect(dest.bytes().length).toBeLessThan(data.length);
  });

  it('removes the temp file and commits nothing when a large body fails midway', async () => {
    const failing = Readable.from(
      (function* () {
        yield data.subarray(0, 9 * 1024 * 1024);
        throw new Error('connection reset');
      })(),
    );
    await expect(store.putObject('big', 'd', failing)).rejects.toThrow('connection reset');
    expect(() => store.headObject('big', 'd')).toThrow(expect.objectContaining({ code: 'NoSuchKey' }));
    // The worker is still usable afterwards.
    expect((await store.putObject('big', 'e', uneven(data))).etag).toBe(`"${md5(data)}"`);
  });
});
