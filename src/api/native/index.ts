import type { Route } from '../router.js';
import { routes as functionRoutingRoutes } from './function-routing.js';
import { routes as functionRoutes } from './functions.js';
import { routes as jobDeleteRoutes } from './job-delete.js';
import { routes as jobRoutes } from './jobs.js';
import { routes as mappingRoutes } from './mappings.js';
import { routes as objectRoutes } from './objects.js';
import { routes as queueRoutes } from './queues.js';
import { routes as stackRoutes } from './stacks.js';
import { routes as streamRoutes } from './streams.js';
import { routes as systemRoutes } from './system.js';
import { routes as tableRoutes } from './tables.js';
import { routes as targetRoutes } from './targets.js';
import { routes as topicRoutes } from './topics.js';
import { routes as viewRoutes } from './views.js';

/** Every native API route, under /_lambdata. Each part's routes live in its own module. */
export const nativeRoutes: Route[] = [
  ...systemRoutes,
  ...functionRoutingRoutes,
  ...functionRoutes,
  ...objectRoutes,
  ...jobRoutes,
  ...jobDeleteRoutes,
  ...streamRoutes,
  ...tableRoutes,
  ...queueRoutes,
  ...topicRoutes,
  ...mappingRoutes,
  ...viewRoutes,
  ...targetRoutes,
  ...stackRoutes,
];
