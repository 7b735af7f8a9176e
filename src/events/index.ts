export type { BatchOutcome } from './batch.js';
export { parseScheduleExpression, type ScheduleExpression } from './cron.js';
export { EventSourceMappings, type StreamConsumer, type StreamConsumerSpec } from './event-source-mappings.js';
export {
  type FunctionUrlConfig,
  FunctionUrlConfigs,
  type UrlRequest,
  type UrlResponse,
  urlEvent,
  urlResponse,
} from './function-urls.js';
export type { MappingConfig, MappingInput, MappingPatch, MappingStatus, MappingView } from './mapping-types.js';
export {
  type LambdaFunctionConfiguration,
  type NotificationConfiguration,
  type NotificationFilter,
  ObjectNotifications,
} from './object-notifications.js';
export type { Schedule, ScheduleInput } from './schedules.js';
export { Schedules } from './schedules.js';
