export type { BatchOutcome } from './batch.js';
export { parseScheduleExpression, type ScheduleExpression } from './cron.js';
export { EventSourceMappings, type StreamConsumer, type StreamConsumerSpec } from './event-source-mappings.js';
export {
  type FunctionUrlConfig,
  FunctionUrlConfigs,
  type UrlCaller,
  type UrlConfigInput,
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
  type NotificationTopics,
  ObjectNotifications,
  type TopicConfiguration,
} from './object-notifications.js';
export type { Schedule, ScheduleInput } from './schedules.js';
export { Schedules } from './schedules.js';
export type { SnsMessage } from './sns-messages.js';
export type { PublishInput } from './topic-messages.js';
export { type BatchOutcome as PublishBatchOutcome, type PublishResult, TopicPublisher } from './topic-publisher.js';
export { corsAllowsOrigin, preflightHeaders, responseCorsHeaders, type UrlCors } from './url-cors.js';
