/**
 * Every secret rotated out of a webhook endpoint keeps signing until its own grace ends: one row per secret.
 * Before, the endpoint row had room for one previous secret, so rotating twice within a grace period dropped
 * the first old secret at once, and receivers that still had it failed to verify. The previous secret of
 * each endpoint (when its grace had not ended) moves here, and the two columns go.
 */
export const sql = /* sql */ `
CREATE TABLE webhook_old_secrets (
  endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  secret          bytea NOT NULL,
  rotated_out_at  timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL
);
CREATE INDEX webhook_old_secrets_endpoint ON webhook_old_secrets (endpoint_id, expires_at);

INSERT INTO webhook_old_secrets (endpoint_id, secret, rotated_out_at, expires_at)
  SELECT id, previous_secret, coalesce(secret_rotated_at, now()), previous_secret_expires_at FROM webhook_endpoints
  WHERE previous_secret IS NOT NULL AND previous_secret_expires_at > now();

ALTER TABLE webhook_endpoints DROP COLUMN previous_secret, DROP COLUMN previous_secret_expires_at;
`;
