/**
 * A deleted job still counts towards its API key's daily row quota: its tombstone remembers the key that
 * submitted it, its row count and when it was submitted (keyUsage sums tombstones with jobs). Without them,
 * deleting a job gave its rows back, and a key could score any number of rows a day by submitting,
 * downloading and deleting. Tombstones written before this migration have none (NULL): they count nothing.
 *
 * Likewise a schedule's runs: a run stays recorded when its job is deleted (by its owner or by retention), so
 * a schedule's `runs` counts the runs it made and its lastRun says `deleted`, rather than going back down.
 */
export const sql = /* sql */ `
ALTER TABLE expired_jobs ADD COLUMN key_id uuid, ADD COLUMN rows_total bigint, ADD COLUMN created_at timestamptz;
CREATE INDEX expired_jobs_by_key ON expired_jobs (key_id, created_at) WHERE key_id IS NOT NULL;
ALTER TABLE schedule_runs DROP CONSTRAINT schedule_runs_job_id_fkey;
`;
