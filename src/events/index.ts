export { EventSourceMappings } from './event-source-mappings.js';
export {
  type LambdaFunctionConfiguration,
  type NotificationConfiguration,
  type NotificationFilter,
  ObjectNotifications,
} from './object-notifications.js';
export { Schedules } from './schedules.js';
