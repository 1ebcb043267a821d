/**
 * Idempotency keys of job submissions (`Idempotency-Key` on `POST /api/jobs`, the upload form's one-time
 * key): one row per key and caller (`scope`: the API key's id, or `anonymous`). The key itself is not kept,
 * only `key_hash` (sha256 of the scope and the key). While a submission with the key is being received the
 * row is held (`holder`, `held_until`: a lease the receiving web process renews, so a process that died lets
 * it go); once its job is recorded the row keeps the job, the request's `fingerprint` (digests of the file,
 * model, options...) and, for an anonymous job, its token sealed under the key (`token_box`), so that the
 * same request with the same key answers the same job. Rows go after 24 hours, or with their job.
 */
export const sql = /* sql */ `
CREATE TABLE idempotency_keys (
  scope         text NOT NULL,
  key_hash      bytea NOT NULL,
  holder        uuid,
  held_until    timestamptz,
  job_id        uuid REFERENCES jobs(id) ON DELETE CASCADE,
  fingerprint   jsonb,
  token_box     bytea,
  created_at    timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz,
  PRIMARY KEY (scope, key_hash),
  CHECK ((completed_at IS NULL) = (job_id IS NULL))
);
CREATE INDEX idempotency_keys_completed ON idempotency_keys (completed_at);
CREATE INDEX idempotency_keys_job ON idempotency_keys (job_id);
`;
