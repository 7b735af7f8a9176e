export * from './errors.js';
export { FileBody, sendBody } from './file-body.js';
export { MAX_PART_SIZE, MIN_PART_SIZE } from './multipart.js';
export { assertBucketName, keyBytes, MAX_KEY_BYTES } from './names.js';
export { MAX_OBJECT_SIZE, ObjectStore } from './object-store.js';
export { parseRange } from './range.js';
export type * from './types.js';
export { OBJECT_EVENT_NAMES } from './types.js';
