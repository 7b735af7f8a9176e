export { type Db, migrate, openDb, tableExists } from './db.js';
