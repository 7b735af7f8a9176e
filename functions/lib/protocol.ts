/** Event and result shapes shared with the coordinator (src/jobs/protocol.ts). */
export type * from '../../src/jobs/protocol.js';
