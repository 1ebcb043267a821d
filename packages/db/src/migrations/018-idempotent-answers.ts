/**
 * Idempotency keys for every creating request, not only job submissions (`POST /api/webhooks`, `/api/keys`,
 * `/api/schedules`, `/api/models`, `/api/links`, a webhook's `rotate-secret`): a retry with the same key gets
 * the first answer rather than a second webhook, key, model version or email. Such a key completes with the
 * answer it gave (`answer_box`: status, Location and body, sealed under the idempotency key, which is not kept:
 * a created API key or webhook secret is in it) instead of a job.
 */
export const sql = /* sql */ `
ALTER TABLE idempotency_keys ADD COLUMN answer_box bytea;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_check;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_completed_with
  CHECK ((completed_at IS NULL) = (job_id IS NULL AND answer_box IS NULL));
`;
