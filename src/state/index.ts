export { type Db, migrate, openDb } from './db.js';
