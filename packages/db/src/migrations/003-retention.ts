/**
 * Retention: jobs are deleted RETENTION_DAYS after they end (upload, predictions, chunks, tokens, the job
 * row). What stays is a tombstone per job with the hashes of its tokens, so that a link that was valid
 * answers 410 Gone ("deleted, as announced") while a wrong or made-up link still answers 404, revealing
 * nothing. Tombstones hold no user data (ids and sha256 hashes of random tokens) and are purged after a year.
 */
export const sql = /* sql */ `
CREATE TABLE expired_jobs (
  id            uuid PRIMARY KEY,
  token_hashes  bytea[] NOT NULL,
  finished_at   timestamptz NOT NULL,
  expired_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX expired_jobs_expired_at ON expired_jobs (expired_at);
`;
