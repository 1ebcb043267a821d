/**
 * When a job became visible to its API key's list (`GET /api/jobs`), which pages newest first by it. A CSV
 * upload scored while it arrives is recorded `receiving` when its first chunk is stored (`created_at`) and
 * listed only once its last byte is (completeReceivingJob): ordered by `created_at`, it appeared minutes later
 * in the middle of the list, behind jobs a client had already seen, and a client reading the list until the
 * first job it knows never saw it.
 */
export const sql = /* sql */ `
ALTER TABLE jobs ADD COLUMN listed_at timestamptz;
UPDATE jobs SET listed_at = created_at;
ALTER TABLE jobs ALTER COLUMN listed_at SET DEFAULT now(), ALTER COLUMN listed_at SET NOT NULL;
DROP INDEX jobs_by_key;
CREATE INDEX jobs_by_key ON jobs (key_id, listed_at DESC, id DESC) WHERE key_id IS NOT NULL;
`;
