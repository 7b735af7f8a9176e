import type { Route } from '../router.js';

/** SHELL — native routes of this part. */
export const routes: Route[] = [];
