/**
 * The S3 REST API: resolves bucket and key (path or virtual-hosted style), verifies SigV4, and
 * dispatches on method, key and sub-resource to one operation. Errors answer as S3 XML.
 */
import type { AwsRequestContext } from '../index.js';
import { verifySigV4 } from '../sigv4.js';
import * as buckets from './buckets.js';
import { S3Error, sendS3Error } from './errors.js';
import { listObjectsV1, listObjectsV2, listObjectVersions } from './listing.js';
import * as multipart from './multipart.js';
import { getNotificationConfiguration, putNotificationConfiguration } from './notifications.js';
import * as objects from './objects.js';
import { payloadHashOf } from './payload.js';
import type { S3Request } from './request.js';
import { locate } from './routing.js';

export { bucketOfHost } from './routing.js';

type Operation = (s3: S3Request) => Promise<void>;

/** Handles one S3 REST request. Never throws: failures answer as S3 error documents. */
export async function handleS3(ctx: AwsRequestContext): Promise<void> {
  const { engine, req, res, url, requestId } = ctx;
  const method = req.method ?? 'GET';
  res.setHeader('x-amz-request-id', requestId);
  res.setHeader('x-amz-id-2', requestId);
  let resource = '/';
  try {
    const target = locate(req);
    resource = target.resource;
    const scope = await verifySigV4(req, url, payloadHashOf(req), engine.context.credentials, {
      anonymous: ctx.anonymous ?? false,
    }).catch((err: unknown) => {
      // S3 answers an unsigned request for a bucket that does not exist with NoSuchBucket, not AccessDenied.
      if (target.bucket && isUnsigned(req, url)) engine.objects.headBucket(target.bucket);
      throw err;
    });
    if (!target.bucket) {
      if (method !== 'GET')
        throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.');
      await buckets.listBuckets({ engine, res });
      return;
    }
    const s3: S3Request = {
      engine,
      req,
      res,
      query: url.searchParams,
      requestId,
      bucket: target.bucket,
      key: target.key,
      scope,
    };
    await (target.key ? objectOperation(s3) : bucketOperation(s3))(s3);
  } catch (err) {
    req.resume();
    sendS3Error(res, err, resource, requestId, method);
  }
}

function bucketOperation({ req, query }: S3Request): Operation {
  const has = (name: string) => query.has(name);
  switch (req.method) {
    case 'GET':
      if (has('location')) return buckets.getBucketLocation;
      if (has('notification')) return getNotificationConfiguration;
      if (has('versioning')) return buckets.getBucketVersioning;
      if (has('versions')) return listObjectVersions;
      if (has('acl')) return buckets.getAcl;
      if (has('uploads')) return multipart.listMultipartUploads;
      if (has('cors'))
        return (s3) => buckets.notConfigured(s3, 'NoSuchCORSConfiguration', 'The CORS configuration does not exist');
      if (has('tagging')) return (s3) => buckets.notConfigured(s3, 'NoSuchTagSet', 'The TagSet does not exist');
      if (has('policy'))
        return (s3) => buckets.notConfigured(s3, 'NoSuchBucketPolicy', 'The bucket policy does not exist');
      if (has('lifecycle')) {
        return (s3) =>
          buckets.notConfigured(s3, 'NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist');
      }
      if (has('website'))
        return (s3) =>
          buckets.notConfigured(
            s3,
            'NoSuchWebsiteConfiguration',
            'The specified bucket does not have a website configuration',
          );
      if (query.get('list-type') === '2') return listObjectsV2;
      return listObjectsV1;
    case 'PUT':
      if (has('notification')) return putNotificationConfiguration;
      if (has('versioning')) return buckets.putBucketVersioning;
      if ([...query.keys()].length > 0) return notImplemented;
      return buckets.createBucket;
    case 'HEAD':
      return buckets.headBucket;
    case 'DELETE':
      if ([...query.keys()].length > 0) return notImplemented;
      return buckets.deleteBucket;
    case 'POST':
      if (has('delete')) return objects.deleteObjects;
      // A browser form upload (POST Object) is real S3 that lambdata lacks; any other POST is no operation.
      return String(req.headers['content-type'] ?? '').startsWith('multipart/form-data')
        ? notImplemented
        : methodNotAllowed;
    default:
      return methodNotAllowed;
  }
}

function objectOperation({ req, query }: S3Request): Operation {
  const has = (name: string) => query.has(name);
  switch (req.method) {
    case 'GET':
      if (has('uploadId')) return multipart.listParts;
      if (has('acl')) return buckets.getAcl;
      if (has('tagging')) return objects.getObjectTagging;
      return objects.getObject;
    case 'HEAD':
      return objects.headObject;
    case 'PUT':
      if (has('partNumber') && has('uploadId')) {
        return req.headers['x-amz-copy-source'] ? multipart.uploadPartCopy : multipart.uploadPart;
      }
      if (has('tagging')) return objects.putObjectTagging;
      if (has('acl')) return notImplemented;
      return req.headers['x-amz-copy-source'] ? objects.copyObject : objects.putObject;
    case 'DELETE':
      if (has('uploadId')) return multipart.abortMultipartUpload;
      if (has('tagging')) return objects.deleteObjectTagging;
      return objects.deleteObject;
    case 'POST':
      if (has('uploads')) return multipart.createMultipartUpload;
      if (has('uploadId')) return multipart.completeMultipartUpload;
      return methodNotAllowed;
    default:
      return methodNotAllowed;
  }
}

function isUnsigned(req: AwsRequestContext['req'], url: URL): boolean {
  return req.headers.authorization === undefined && !url.searchParams.has('X-Amz-Signature');
}

async function notImplemented(): Promise<void> {
  throw new S3Error('NotImplemented', 'A header or query you provided implies functionality that is not implemented');
}

async function methodNotAllowed(): Promise<void> {
  throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.');
}
