export { TableStore } from './table-store.js';
