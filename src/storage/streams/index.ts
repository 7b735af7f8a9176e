export { StreamStore } from './stream-store.js';
