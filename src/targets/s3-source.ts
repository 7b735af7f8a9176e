/**
 * The jobs' ObjectSource over S3 (or any S3-compatible endpoint): paged ListObjectsV2, HeadObject,
 * ranged GETs streamed, PutObject, ListObjectVersions and DeleteObjects (of versions too). 503 SlowDown and 5xx are retried by the SDK (S3_ATTEMPTS).
 */

import type { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  type DeleteObjectsCommandOutput,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { NoSuchBucket, NoSuchKey } from '../storage/objects/index.js';
import { targetError } from './aws-clients.js';
import type { TargetConfig } from './types.js';

/** The object side of a target, in the shape jobs read and write (jobs' ObjectSource). */
export class S3ObjectSource {
  readonly #client: S3Client;
  readonly #target: TargetConfig;

  constructor(client: S3Client, target: TargetConfig) {
    this.#client = client;
    this.#target = target;
  }

  /** One page of keys. @throws NoSuchBucket; target errors. */
  async listObjects(
    bucket: string,
    options: { prefix?: string; startAfter?: string; maxKeys?: number },
  ): Promise<{ objects: Array<{ key: string; size: number }>; isTruncated: boolean; nextStartAfter?: string }> {
    const page = await this.#send<ListObjectsV2CommandOutput>(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: options.prefix || undefined,
        StartAfter: options.startAfter,
        MaxKeys: options.maxKeys,
      }),
      `s3://${bucket}/${options.prefix ?? ''}`,
      bucket,
    );
    const objects = (page.Contents ?? []).map((o) => ({ key: o.Key ?? '', size: o.Size ?? 0 }));
    return { objects, isTruncated: page.IsTruncated === true, nextStartAfter: objects.at(-1)?.key };
  }

  /** @throws NoSuchKey; NoSuchBucket; target errors. */
  async headObject(bucket: string, key: string): Promise<{ size: number }> {
    const head = await this.#send<HeadObjectCommandOutput>(
      new HeadObjectCommand({ Bucket: bucket, Key: key }),
      `s3://${bucket}/${key}`,
      bucket,
      key,
    );
    return { size: head.ContentLength ?? 0 };
  }

  /** Streams an object or a byte range of it (`bytes=a-b`). @throws NoSuchKey; target errors. */
  async getObject(bucket: string, key: string, options: { range?: string } = {}): Promise<{ body: Readable }> {
    const answer = await this.#send<GetObjectCommandOutput>(
      new GetObjectCommand({ Bucket: bucket, Key: key, Range: options.range }),
      `s3://${bucket}/${key}`,
      bucket,
      key,
    );
    return { body: answer.Body as Readable };
  }

  /** @throws NoSuchBucket; target errors. */
  async putObject(bucket: string, key: string, body: Buffer | string): Promise<unknown> {
    return this.#send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }), `s3://${bucket}/${key}`, bucket);
  }

  /** One page of versions and delete markers, by key. @throws NoSuchBucket; target errors. */
  async listObjectVersions(
    bucket: string,
    options: { prefix?: string; keyMarker?: string; versionIdMarker?: string; maxKeys?: number },
  ): Promise<{
    versions: Array<{ key: string; versionId?: string }>;
    isTruncated: boolean;
    nextKeyMarker?: string;
    nextVersionIdMarker?: string;
  }> {
    const page = await this.#send<ListObjectVersionsCommandOutput>(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: options.prefix || undefined,
        KeyMarker: options.keyMarker,
        VersionIdMarker: options.versionIdMarker,
        MaxKeys: options.maxKeys,
      }),
      `s3://${bucket}/${options.prefix ?? ''}`,
      bucket,
    );
    const versions = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
      key: v.Key ?? '',
      ...(v.VersionId ? { versionId: v.VersionId } : {}),
    }));
    return {
      versions,
      isTruncated: page.IsTruncated === true,
      ...(page.NextKeyMarker ? { nextKeyMarker: page.NextKeyMarker } : {}),
      ...(page.NextVersionIdMarker ? { nextVersionIdMarker: page.NextVersionIdMarker } : {}),
    };
  }

  /**
   * Deletes up to 1,000 keys, or versions of keys, in one request (a missing key is no error in S3).
   * @throws NoSuchBucket; target errors, including the first key S3 could not delete.
   */
  async deleteObjects(bucket: string, keys: Array<string | { key: string; versionId?: string }>): Promise<unknown> {
    if (keys.length === 0) return undefined;
    const objects = keys.map((k) => (typeof k === 'string' ? { Key: k } : { Key: k.key, VersionId: k.versionId }));
    const answer = await this.#send<DeleteObjectsCommandOutput>(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
      `s3://${bucket}/${objects[0]?.Key ?? ''}`,
      bucket,
    );
    const failed = answer.Errors?.[0];
    if (failed)
      throw targetError(
        this.#target,
        `s3://${bucket}/${failed.Key ?? ''}`,
        Object.assign(new Error(failed.Message ?? 'cannot delete'), { name: failed.Code ?? 'InternalError' }),
      );
    return answer;
  }

  // biome-ignore lint/suspicious/noExplicitAny: one send for the six command types
  async #send<T>(command: any, resource: string, bucket: string, key?: string): Promise<T> {
    try {
      return (await this.#client.send(command)) as T;
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'NoSuchBucket') throw new NoSuchBucket(bucket);
      if (key !== undefined && (name === 'NoSuchKey' || name === 'NotFound')) throw new NoSuchKey(key);
      throw targetError(this.#target, resource, err);
    }
  }
}
