export { BGZIP_INDEX_SUFFIX, type BgzipIndex, encodeBgzip, parseBgzipIndex } from './bgzip.js';
export { BUILTIN_FUNCTIONS, FUNCTIONS_DIR } from './builtins.js';
export { generateChunks, generateText, remixText, seededRandom } from './corpus.js';
export { costReport, DEFAULT_CLUSTER } from './cost.js';
export { JobService } from './job-service.js';
export { ownedRangeInMemory, planRanges } from './splits.js';
export type * from './types.js';
export { JOB_MODES, JOB_STATUSES, RECORD_FORMATS } from './types.js';
export { bundleEntry, packageUserJob, type UserJobPackages } from './user-job-package.js';
