/**
 * Coming back to one's jobs.
 * - "Email me my links": one row per request. The address is kept only until the request is handled (the
 *   worker needs it to send the message) and is then cleared; `address_key` (sha256 of the lower-cased
 *   address) stays to count requests per address for the rate limit, and the row goes after a day.
 * - An admin who opens a job from /admin gets a token of its own (purpose `admin`). The purpose check is
 *   written whole: `webhook` is migration 008's (API keys and webhooks), kept when both are applied.
 */
export const sql = /* sql */ `
CREATE TABLE link_requests (
  id            uuid PRIMARY KEY,
  email         text,
  address_key   bytea NOT NULL,
  requested_at  timestamptz NOT NULL DEFAULT now(),
  handled_at    timestamptz
);
CREATE INDEX link_requests_address ON link_requests (address_key, requested_at);
CREATE INDEX link_requests_unhandled ON link_requests (requested_at) WHERE handled_at IS NULL;

ALTER TABLE job_tokens DROP CONSTRAINT IF EXISTS job_tokens_purpose_check;
ALTER TABLE job_tokens ADD CONSTRAINT job_tokens_purpose_check CHECK (purpose IN ('upload', 'email', 'webhook', 'admin'));
`;
