/** Bucket operations: list, create, head, delete, location, and the minimal configuration answers the AWS CLI asks for. */
import { assertBucketName } from '../../../storage/objects/index.js';
import { type S3Code, S3Error } from './errors.js';
import { readSmallBody } from './objects.js';
import { type S3Request, sendEmpty } from './request.js';
import { malformedXml, parseXml, sendXml } from './xml.js';

const OWNER = { ID: 'lambdata', DisplayName: 'lambdata' } as const;

/** ListBuckets (GET /). */
export async function listBuckets({ engine, res }: Pick<S3Request, 'engine' | 'res'>): Promise<void> {
  const buckets = engine.objects.listBuckets();
  sendXml(res, {
    ListAllMyBucketsResult: {
      Owner: OWNER,
      Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: b.createdAt.toISOString() })) },
    },
  });
}

/**
 * CreateBucket (PUT /bucket, with or without a CreateBucketConfiguration body). Creating a bucket you
 * already own succeeds again in us-east-1, as S3 does there; elsewhere it is BucketAlreadyOwnedByYou.
 * @throws InvalidBucketName, BucketAlreadyOwnedByYou
 */
export async function createBucket({ engine, req, res, bucket }: S3Request): Promise<void> {
  assertBucketName(bucket);
  const body = await readSmallBody(req);
  if (body.trim()) {
    const doc = parseXml(body);
    if (!('CreateBucketConfiguration' in doc)) {
      throw new S3Error(
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    }
  }
  try {
    engine.objects.createBucket(bucket);
  } catch (err) {
    const ownedHere = (err as { code?: string }).code === 'BucketAlreadyOwnedByYou';
    if (!ownedHere || engine.context.region !== 'us-east-1') throw err;
  }
  sendEmpty(res, 200, { location: `/${bucket}` });
}

/** HeadBucket. @throws NoSuchBucket (404, no body) */
export async function headBucket({ engine, res, bucket }: S3Request): Promise<void> {
  engine.objects.headBucket(bucket);
  sendEmpty(res, 200, { 'x-amz-bucket-region': engine.context.region });
}

/** DeleteBucket. @throws NoSuchBucket, BucketNotEmpty */
export async function deleteBucket({ engine, res, bucket }: S3Request): Promise<void> {
  engine.objects.deleteBucket(bucket);
  sendEmpty(res, 204);
}

/** GetBucketLocation: us-east-1 answers an empty constraint, as S3 does. */
export async function getBucketLocation({ engine, res, bucket }: S3Request): Promise<void> {
  engine.objects.headBucket(bucket);
  const region = engine.context.region;
  sendXml(res, { LocationConstraint: region === 'us-east-1' ? '' : region });
}

/** GetBucketVersioning: no Status until versioning was first set, then Enabled or Suspended. */
export async function getBucketVersioning({ engine, res, bucket }: S3Request): Promise<void> {
  const status = engine.objects.getBucketVersioning(bucket);
  sendXml(res, { VersioningConfiguration: status ? { Status: status } : '' });
}

/** PutBucketVersioning (PUT ?versioning): Status Enabled or Suspended. @throws MalformedXML, NoSuchBucket */
export async function putBucketVersioning({ engine, req, res, bucket }: S3Request): Promise<void> {
  engine.objects.headBucket(bucket);
  const doc = parseXml(await readSmallBody(req)).VersioningConfiguration as { Status?: unknown } | '' | undefined;
  if (doc === undefined) throw malformedXml();
  const status = doc === '' ? undefined : doc.Status;
  if (status !== 'Enabled' && status !== 'Suspended') throw malformedXml();
  engine.objects.putBucketVersioning(bucket, status);
  sendEmpty(res, 200);
}

/** GetBucketAcl / GetObjectAcl: the owner has full control. */
export async function getAcl({ engine, res, bucket }: S3Request): Promise<void> {
  engine.objects.headBucket(bucket);
  sendXml(res, {
    AccessControlPolicy: {
      Owner: OWNER,
      AccessControlList: {
        Grant: {
          Grantee: {
            '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
            '@_xsi:type': 'CanonicalUser',
            ...OWNER,
          },
          Permission: 'FULL_CONTROL',
        },
      },
    },
  });
}

/** Bucket sub-resources lambdata does not keep: answered with S3's "not configured" error. */
export async function notConfigured(s3: S3Request, code: S3Code, message: string): Promise<void> {
  s3.engine.objects.headBucket(s3.bucket);
  throw new S3Error(code, message);
}
