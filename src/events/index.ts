export { EventSourceMappings } from './event-source-mappings.js';
export { ObjectNotifications } from './object-notifications.js';
export { Schedules } from './schedules.js';
