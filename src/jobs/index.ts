export { JobService } from './job-service.js';
