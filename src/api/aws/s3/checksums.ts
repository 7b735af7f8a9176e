/**
 * The flexible checksums S3 accepts (x-amz-checksum-crc32 / crc32c / crc64nvme / sha1 / sha256),
 * computed incrementally over a body as it streams.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { crc32 } from 'node:zlib';
import { createLogger } from '../../../shared/log.js';
import { S3Error } from './errors.js';

/** Algorithms by their header name suffix. */
export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;

/** One of CHECKSUM_ALGORITHMS. */
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

// CRC32C and CRC64NVME come from the SDK's own checksum package (a dependency of @aws-sdk/client-s3);
// without it those two algorithms answer NotImplemented instead of breaking the whole adapter.
const sdkCrc = await import('@aws-sdk/checksums/crc').catch((err: unknown) => {
  createLogger('s3').warn('CRC32C/CRC64NVME checksums unavailable', { err });
  return undefined;
});

/** An incremental checksum whose digest is base64, as in the x-amz-checksum-* headers. */
export interface RunningChecksum {
  readonly algorithm: ChecksumAlgorithm;
  update(chunk: Uint8Array): void;
  digest(): Promise<string>;
}

/** Starts a checksum of `algorithm`. */
export function startChecksum(algorithm: ChecksumAlgorithm): RunningChecksum {
  switch (algorithm) {
    case 'crc32': {
      let value = 0;
      return {
        algorithm,
        update: (chunk) => {
          value = crc32(chunk, value);
        },
        digest: async () => {
          const out = Buffer.alloc(4);
          out.writeUInt32BE(value >>> 0);
          return out.toString('base64');
        },
      };
    }
    case 'crc32c':
    case 'crc64nvme': {
      if (!sdkCrc) throw new S3Error('NotImplemented', `${algorithm} checksums are not available on this server`);
      const hash = algorithm === 'crc32c' ? new sdkCrc.Crc32c() : new sdkCrc.Crc64Nvme();
      return {
        algorithm,
        update: (chunk) => hash.update(chunk),
        digest: async () => Buffer.from(await hash.digest()).toString('base64'),
      };
    }
    case 'sha1':
    case 'sha256': {
      const hash = createHash(algorithm);
      return {
        algorithm,
        update: (chunk) => hash.update(chunk),
        digest: async () => hash.digest('base64'),
      };
    }
  }
}

/** The algorithm named by a header such as `x-amz-checksum-crc32`, if it is one. */
export function algorithmOfHeader(name: string): ChecksumAlgorithm | undefined {
  const suffix = name.toLowerCase().replace(/^x-amz-checksum-/, '');
  return name.toLowerCase().startsWith('x-amz-checksum-') && (CHECKSUM_ALGORITHMS as readonly string[]).includes(suffix)
    ? (suffix as ChecksumAlgorithm)
    : undefined;
}

/** The checksum a request declares: in a header now, or announced in x-amz-trailer for later. */
export function declaredChecksum(
  headers: IncomingHttpHeaders,
): { algorithm: ChecksumAlgorithm; value?: string } | undefined {
  const trailer = headers['x-amz-trailer'];
  if (typeof trailer === 'string') {
    const algorithm = algorithmOfHeader(trailer.trim());
    if (!algorithm) throw new S3Error('InvalidRequest', `Unsupported trailer ${trailer}`);
    return { algorithm };
  }
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = headers[`x-amz-checksum-${algorithm}`];
    if (typeof value === 'string') return { algorithm, value };
  }
  return undefined;
}

/** @throws S3Error BadDigest when `actual` differs from `expected`. */
export function assertChecksum(algorithm: ChecksumAlgorithm, expected: string, actual: string): void {
  if (expected !== actual) {
    throw new S3Error(
      'BadDigest',
      `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
    );
  }
}
