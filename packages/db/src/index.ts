export { createPool, inTransaction, withTransactionPool, type Pool, type PoolClient } from './pool.js';
export { dropDatabase, ensureDatabase, migrate, pendingMigrations, waitForSchema } from './migrate.js';
export * from './queries/models.js';
export * from './queries/jobs.js';
export * from './queries/chunks.js';
export * from './queries/receiving-jobs.js';
export * from './queries/predictions.js';
export * from './queries/job-summary.js';
export * from './queries/health.js';
export {
  DatabaseRefusedError,
  databaseRefusal,
  isDatabaseUnavailable,
  retryWhileDatabaseUnavailable,
  waitForDatabase,
  whenDatabaseAvailable,
} from './availability.js';
export * from './queries/blobs.js';
export * from './queries/retention.js';
export * from './queries/schedules.js';
export * from './queries/metrics.js';
export * from './queries/admin.js';
export * from './queries/locks.js';
export * from './queries/maintenance.js';
export * from './queries/admin-sessions.js';
export * from './queries/new-key-handovers.js';
export * from './queries/api-keys.js';
export * from './queries/webhooks.js';
export * from './queries/link-requests.js';
export * from './queries/idempotency.js';
