export { ObjectStore } from './object-store.js';
