export type { AwsRequestContext } from './aws/index.js';
export { readBody, readJson, sendJson } from './http.js';
export type { Route, RouteContext } from './router.js';
export { type RunningServer, type ServerOptions, startServer } from './server.js';
export { openSse, type SseStream } from './sse.js';
