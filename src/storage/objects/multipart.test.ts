import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testContext } from '../../../test/helpers/engine-context.js';
import { MIN_PART_SIZE } from './multipart.js';
import { ObjectStore } from './object-store.js';

let ctx: ReturnType<typeof testContext>;
let store: ObjectStore;

beforeEach(() => {
  ctx = testContext('objects');
  store = new ObjectStore(ctx);
  store.createBucket('mpu');
});
afterEach(async () => {
  await store.stop();
  ctx.dispose();
});

const md5 = (b: Buffer) => createHash('md5').update(b).digest();

describe('multipart uploads', () => {
  it('assembles parts into one object with the md5-of-md5s-N ETag', async () => {
    const one = randomBytes(MIN_PART_SIZE);
    const two = randomBytes(1234);
    const { uploadId } = store.createMultipartUpload('mpu', 'big.bin', {
      contentType: 'application/x-test',
      metadata: { a: 'b' },
    });
    const p2 = await store.uploadPart('mpu', 'big.bin', uploadId, 2, two);
    const p1 = await store.uploadPart('mpu', 'big.bin', uploadId, 1, one, { contentMd5: md5(one).toString('base64') });
    expect(p1.etag).toBe(`"${md5(one).toString('hex')}"`);
    expect(store.listParts('mpu', 'big.bin', uploadId).parts.map((p) => [p.partNumber, p.size])).toEqual([
      [1, one.length],
      [2, two.length],
    ]);
    expect(store.listMultipartUploads('mpu').uploads.map((u) => u.uploadId)).toEqual([uploadId]);
    const info = await store.completeMultipartUpload('mpu', 'big.bin', uploadId, [
      { partNumber: 1, etag: p1.etag },
      { partNumber: 2, etag: p2.etag },
    ]);
    const etag = createHash('md5')
      .update(Buffer.concat([md5(one), md5(two)]))
      .digest('hex');
    expect(info).toMatchObject({
      size: one.length + two.length,
      etag: `"${etag}-2"`,
      contentType: 'application/x-test',
      metadata: { a: 'b' },
    });
    const { body } = await store.getObject('mpu', 'big.bin');
    expect((await buffer(body)).equals(Buffer.concat([one, two]))).toBe(true);
    expect(store.listMultipartUploads('mpu').uploads).toEqual([]);
    await store.stop();
    expect(readdirSync(join(ctx.dataDir, 'objects', 'mpu', 'uploads'))).toEqual([]);
    expect(() => store.listParts('mpu', 'big.bin', uploadId)).toThrow(
      expect.objectContaining({ code: 'NoSuchUpload' }),
    );
  });

  it('validates the part list: order, ETags, minimum size, unknown uploads', async () => {
    const { uploadId } = store.createMultipartUpload('mpu', 'k');
    const a = await store.uploadPart('mpu', 'k', uploadId, 1, 'small');
    const b = await store.uploadPart('mpu', 'k', uploadId, 2, 'tail');
    const complete = (parts: Array<{ partNumber: number; etag: string }>) =>
      store.completeMultipartUpload('mpu', 'k', uploadId, parts);
    await expect(
      complete([
        { partNumber: 2, etag: b.etag },
        { partNumber: 1, etag: a.etag },
      ]),
    ).rejects.toMatchObject({
      code: 'InvalidPartOrder',
    });
    await expect(complete([{ partNumber: 1, etag: '"0000"' }])).rejects.toMatchObject({ code: 'InvalidPart' });
    await expect(complete([{ partNumber: 3, etag: a.etag }])).rejects.toMatchObject({ code: 'InvalidPart' });
    await expect(
      complete([
        { partNumber: 1, etag: a.etag },
        { partNumber: 2, etag: b.etag },
      ]),
    ).rejects.toMatchObject({
      code: 'EntityTooSmall',
    });
    await expect(store.uploadPart('mpu', 'k', uploadId, 10001, 'x')).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(store.uploadPart('mpu', 'k', 'nope', 1, 'x')).rejects.toMatchObject({
      code: 'NoSuchUpload',
      status: 404,
    });
    // A single small part is a valid object.
    const info = await complete([{ partNumber: 1, etag: a.etag }]);
    expect(info.etag).toMatch(/^"[0-9a-f]{32}-1"$/);
  });

  it('aborts an upload and forgets its parts', async () => {
    const { uploadId } = store.createMultipartUpload('mpu', 'gone');
    await store.uploadPart('mpu', 'gone', uploadId, 1, 'x');
    store.abortMultipartUpload('mpu', 'gone', uploadId);
    expect(() => store.abortMultipartUpload('mpu', 'gone', uploadId)).toThrow(
      expect.objectContaining({ code: 'NoSuchUpload' }),
    );
    expect(store.listMultipartUploads('mpu').uploads).toEqual([]);
  });
});
