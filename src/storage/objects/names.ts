import { InvalidArgument, InvalidBucketName, KeyTooLongError } from './errors.js';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** S3's key limit, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/**
 * Checks a bucket name against S3's rules: 3–63 chars of lowercase letters, digits, '.' and '-';
 * each dot-separated label starts and ends alphanumeric (so no '..', '.-', '-.'); not an IP address;
 * none of S3's reserved prefixes (`xn--`, `sthree-`, …) or suffixes (`-s3alias`, `--ol-s3`, …). Names
 * starting with `_` fail too: /_lambdata is the native API. Throws InvalidBucketName.
 */
export function assertBucketName(name: string): void {
  const ok =
    typeof name === 'string' &&
    BUCKET_NAME.test(name) &&
    !name.includes('..') &&
    !name.includes('.-') &&
    !name.includes('-.') &&
    !IP_ADDRESS.test(name) &&
    !RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix)) &&
    !RESERVED_SUFFIXES.some((suffix) => name.endsWith(suffix));
  if (!ok) throw new InvalidBucketName(String(name));
}

/**
 * The UTF-8 bytes of a key, after checking it is 1–1024 bytes of well-formed Unicode.
 * Throws KeyTooLongError or InvalidArgument.
 */
export function keyBytes(key: string): Buffer {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidArgument('Object key must not be empty');
  if (LONE_SURROGATE.test(key)) throw new InvalidArgument('Object key is not valid UTF-8');
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.length > MAX_KEY_BYTES) throw new KeyTooLongError();
  return bytes;
}

/**
 * The smallest byte string greater than every string starting with `prefix`, or undefined when there is
 * none (empty prefix, or all bytes 0xFF). Used as the exclusive upper end of a prefix range scan.
 */
export function prefixUpperBound(prefix: Buffer): Buffer | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] !== 0xff) {
      const bound = Buffer.from(prefix.subarray(0, i + 1));
      bound[i] = (bound[i] ?? 0) + 1;
      return bound;
    }
  }
  return undefined;
}
