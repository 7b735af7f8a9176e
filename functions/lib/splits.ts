/** The split rules of src/jobs/splits.ts, for the built-in functions (bundled in at deploy time). */
export * from '../../src/jobs/splits.js';
