export { createPool, inTransaction, type Pool, type PoolClient } from './pool.js';
export { ensureDatabase, migrate } from './migrate.js';
export * from './queries/models.js';
export * from './queries/jobs.js';
export * from './queries/chunks.js';
export * from './queries/predictions.js';
export * from './queries/health.js';
