/** Multipart uploads: create, upload part (and part copy), complete, abort, list parts, list uploads. */
import { S3Error } from './errors.js';
import { header, putHeadersOf } from './headers.js';
import { checkConditions, copySourceOf, readSmallBody } from './objects.js';
import { openPayload } from './payload.js';
import { type S3Request, sendEmpty } from './request.js';
import { malformedXml, parseXml, sendXml } from './xml.js';

const MAX_PART_NUMBER = 10_000;
const PART_NUMBER = /^[1-9]\d{0,4}$/;
const DECIMAL = /^\d{1,10}$/;
// A part is <Part>, <PartNumber>, <ETag> and a checksum or two: at most 12 tags each.
const COMPLETION_LIMITS = { maxTags: MAX_PART_NUMBER * 12 + 64, maxOccurs: { Part: MAX_PART_NUMBER } } as const;

/** CreateMultipartUpload (POST ?uploads). */
export async function createMultipartUpload({ engine, req, res, bucket, key }: S3Request): Promise<void> {
  const { uploadId } = engine.objects.createMultipartUpload(bucket, key, putHeadersOf(req));
  sendXml(res, { InitiateMultipartUploadResult: { Bucket: bucket, Key: key, UploadId: uploadId } });
}

/** UploadPart (PUT ?partNumber&uploadId): the body streams in decoded and verified. */
export async function uploadPart(s3: S3Request): Promise<void> {
  const { engine, req, res, bucket, key } = s3;
  const { uploadId, partNumber } = partOf(s3);
  const payload = openPayload(req, s3.scope);
  const contentMd5 = header(req, 'content-md5');
  const part = await engine.objects.uploadPart(
    bucket,
    key,
    uploadId,
    partNumber,
    payload.body,
    contentMd5 ? { contentMd5 } : undefined,
  );
  sendEmpty(res, 200, { etag: part.etag, ...payload.checksums });
}

/** UploadPartCopy (PUT ?partNumber&uploadId with x-amz-copy-source[-range]). */
export async function uploadPartCopy(s3: S3Request): Promise<void> {
  const { engine, req, res, bucket, key } = s3;
  const { uploadId, partNumber } = partOf(s3);
  const source = copySourceOf(header(req, 'x-amz-copy-source') ?? '');
  const info = engine.objects.headObject(
    source.bucket,
    source.key,
    source.versionId ? { versionId: source.versionId } : {},
  );
  if (checkConditions(s3, info, 'x-amz-copy-source-') === 'not-modified') {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  }
  const range = copySourceRangeOf(header(req, 'x-amz-copy-source-range'), info.size);
  const part = await engine.objects.uploadPartCopy(bucket, key, uploadId, partNumber, { ...source, range });
  const headers: Record<string, string> = {};
  if (info.versionId !== undefined) headers['x-amz-copy-source-version-id'] = info.versionId;
  sendXml(res, { CopyPartResult: { ETag: part.etag, LastModified: part.lastModified.toISOString() } }, headers);
}

/**
 * Checks x-amz-copy-source-range as S3 does: exactly `bytes=first-last`, first ≤ last, within the source.
 * @throws S3Error InvalidArgument
 */
function copySourceRangeOf(value: string | undefined, sourceSize: number): string | undefined {
  if (value === undefined) return undefined;
  const match = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || first > last) {
    throw new S3Error(
      'InvalidArgument',
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
    );
  }
  if (last >= sourceSize) {
    throw new S3Error('InvalidArgument', `Range specified is not valid for source object of size: ${sourceSize}`);
  }
  return `bytes=${first}-${last}`;
}

/** CompleteMultipartUpload (POST ?uploadId). */
export async function completeMultipartUpload(s3: S3Request): Promise<void> {
  const { engine, req, res, bucket, key, query } = s3;
  const uploadId = query.get('uploadId') ?? '';
  const doc = parseXml(await readSmallBody(req), COMPLETION_LIMITS).CompleteMultipartUpload as
    | { Part?: Array<{ PartNumber?: unknown; ETag?: unknown }> }
    | undefined;
  const parts = (doc?.Part ?? []).map((p) => {
    if (typeof p !== 'object' || p === null || typeof p.ETag !== 'string') throw malformedXml();
    return { partNumber: partNumberOf(p.PartNumber), etag: p.ETag };
  });
  if (parts.length === 0) throw malformedXml();
  const info = await engine.objects.completeMultipartUpload(bucket, key, uploadId, parts);
  const host = header(req, 'host') ?? 'localhost';
  const headers: Record<string, string> = info.versionId !== undefined ? { 'x-amz-version-id': info.versionId } : {};
  sendXml(
    res,
    {
      CompleteMultipartUploadResult: {
        Location: `http://${host}/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`,
        Bucket: bucket,
        Key: key,
        ETag: info.etag,
      },
    },
    headers,
  );
}

/** AbortMultipartUpload (DELETE ?uploadId). */
export async function abortMultipartUpload({ engine, res, bucket, key, query }: S3Request): Promise<void> {
  engine.objects.abortMultipartUpload(bucket, key, query.get('uploadId') ?? '');
  sendEmpty(res, 204);
}

/** ListParts (GET ?uploadId). */
export async function listParts({ engine, res, bucket, key, query }: S3Request): Promise<void> {
  const page = engine.objects.listParts(bucket, key, query.get('uploadId') ?? '', {
    maxParts: optionalInt(query.get('max-parts')),
    partNumberMarker: optionalInt(query.get('part-number-marker')),
  });
  sendXml(res, {
    ListPartsResult: {
      Bucket: bucket,
      Key: key,
      UploadId: page.uploadId,
      PartNumberMarker: page.partNumberMarker,
      ...(page.nextPartNumberMarker !== undefined ? { NextPartNumberMarker: page.nextPartNumberMarker } : {}),
      MaxParts: page.maxParts,
      IsTruncated: page.isTruncated,
      StorageClass: 'STANDARD',
      Part: page.parts.map((p) => ({
        PartNumber: p.partNumber,
        LastModified: p.lastModified.toISOString(),
        ETag: p.etag,
        Size: p.size,
      })),
    },
  });
}

/** ListMultipartUploads (GET ?uploads). */
export async function listMultipartUploads({ engine, res, bucket, query }: S3Request): Promise<void> {
  const prefix = query.get('prefix') ?? '';
  const maxUploads = optionalInt(query.get('max-uploads')) ?? 1000;
  const page = engine.objects.listMultipartUploads(bucket, {
    prefix,
    keyMarker: query.get('key-marker') ?? undefined,
    uploadIdMarker: query.get('upload-id-marker') ?? undefined,
    maxUploads,
  });
  sendXml(res, {
    ListMultipartUploadsResult: {
      Bucket: bucket,
      KeyMarker: query.get('key-marker') ?? '',
      UploadIdMarker: query.get('upload-id-marker') ?? '',
      ...(page.nextKeyMarker !== undefined ? { NextKeyMarker: page.nextKeyMarker } : {}),
      ...(page.nextUploadIdMarker !== undefined ? { NextUploadIdMarker: page.nextUploadIdMarker } : {}),
      Prefix: prefix,
      MaxUploads: maxUploads,
      IsTruncated: page.isTruncated,
      Upload: page.uploads.map((u) => ({
        Key: u.key,
        UploadId: u.uploadId,
        Initiated: u.initiated.toISOString(),
        StorageClass: 'STANDARD',
      })),
    },
  });
}

function partOf({ query }: S3Request): { uploadId: string; partNumber: number } {
  return { uploadId: query.get('uploadId') ?? '', partNumber: partNumberOf(query.get('partNumber')) };
}

/** A part number as S3 takes it: the plain decimal text of an integer 1..10000 (no `1e0`, `+1`, `01`). */
function partNumberOf(text: unknown): number {
  const n = typeof text === 'string' && PART_NUMBER.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`);
  }
  return n;
}

function optionalInt(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (!DECIMAL.test(value)) throw new S3Error('InvalidArgument', `Expected a non-negative integer, got ${value}`);
  return Number(value);
}
