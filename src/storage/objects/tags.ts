/** Object tags as S3 limits them, and their stored form. */
import { InvalidTag } from './errors.js';
import type { TagSet } from './types.js';

const MAX_TAGS = 10;
const MAX_KEY_CHARS = 128;
const MAX_VALUE_CHARS = 256;

/** Checks a tag set against S3's limits (≤ 10 tags, keys 1–128 and values ≤ 256 characters, keys unique). Throws InvalidTag. */
export function assertTags(tags: TagSet): void {
  if (tags.length > MAX_TAGS) throw new InvalidTag('Object tags cannot be greater than 10');
  const seen = new Set<string>();
  for (const { key, value } of tags) {
    if (typeof key !== 'string' || [...key].length < 1 || [...key].length > MAX_KEY_CHARS) {
      throw new InvalidTag('The TagKey you have provided is invalid');
    }
    if (typeof value !== 'string' || [...value].length > MAX_VALUE_CHARS) {
      throw new InvalidTag('The TagValue you have provided is invalid');
    }
    if (seen.has(key)) throw new InvalidTag('Cannot provide multiple Tags with the same key');
    seen.add(key);
  }
}

/** The stored form of a tag set (null for none). */
export function encodeTags(tags: TagSet | undefined): string | null {
  if (!tags || tags.length === 0) return null;
  assertTags(tags);
  return JSON.stringify(tags.map(({ key, value }) => [key, value]));
}

/** A stored tag set. */
export function decodeTags(text: string | null): TagSet {
  if (text === null) return [];
  return (JSON.parse(text) as Array<[string, string]>).map(([key, value]) => ({ key, value }));
}
