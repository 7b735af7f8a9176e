export { BUILTIN_VIEWS, wordsOf } from './builtin-views.js';
export type { DatasetInput } from './dataset-input.js';
export { DatasetNotFound, MasterObjectImmutable, RecomputeRunning, ViewNotFound } from './errors.js';
export { LambdaArch, type LambdaArchOptions, type ViewsEvent } from './lambda-arch.js';
export { MONOIDS, type Monoid, type MonoidName, monoidByName, topK } from './monoids.js';
export type * from './types.js';
export type { ViewInput } from './view-catalog.js';
export { bucketOf, eventTime, GRANULARITIES, type Granularity, resolveView, type ViewModule } from './view-module.js';
