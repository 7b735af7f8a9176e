/**
 * The jobs' ObjectSource over S3 (or any S3-compatible endpoint): paged ListObjectsV2, HeadObject,
 * ranged GETs streamed, PutObject, DeleteObjects. 503 SlowDown and 5xx are retried by the SDK (S3_ATTEMPTS).
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

  /**
   * Deletes up to 1,000 keys in one request (a missing key is no error in S3).
   * @throws NoSuchBucket; target errors, including the first key S3 could not delete.
   */
  async deleteObjects(bucket: string, keys: string[]): Promise<unknown> {
    if (keys.length === 0) return undefined;
    const answer = await this.#send<DeleteObjectsCommandOutput>(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
      `s3://${bucket}/${keys[0]}`,
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

  // biome-ignore lint/suspicious/noExplicitAny: one send for the five command types
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
