/**
 * Services as users of their own: API keys (only a sha256 of each key is kept), the jobs a key submitted,
 * and signed webhooks with every delivery and attempt recorded.
 *
 * - A key is revoked, never deleted: its jobs keep their owner, and the admin still sees who made them.
 * - `jobs.events_recorded_at` says that the deliveries of a job's end event were recorded (for every
 *   endpoint subscribed at that moment), as `notified_at` does for the email: the reconciler records them for
 *   an ended job that has none yet (a process died between ending the job and recording them). Jobs that had
 *   already ended before this migration count as recorded, so a new endpoint never hears of old jobs.
 * - Secrets and delivery bodies (which carry job links with a token) are stored encrypted (AES-256-GCM
 *   under WEBHOOK_SECRET_KEY; see packages/jobs/src/webhooks/secret-box.ts), never in clear.
 * - A delivery is one event for one endpoint; its id is the `webhook-id` every attempt carries. Deliveries
 *   and attempts go with their job (retention) or their endpoint (deleted).
 */
export const sql = /* sql */ `
CREATE TABLE api_keys (
  id                   uuid PRIMARY KEY,
  name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  -- The first characters of the key (bck_ and 8 more), shown to tell keys apart and used to find one.
  prefix               text NOT NULL UNIQUE,
  key_hash             bytea NOT NULL,
  scopes               text[] NOT NULL,
  -- Limits; NULL: none.
  requests_per_minute  integer CHECK (requests_per_minute > 0),
  rows_per_day         bigint CHECK (rows_per_day > 0),
  concurrent_jobs      integer CHECK (concurrent_jobs > 0),
  created_at           timestamptz NOT NULL DEFAULT now(),
  last_used_at         timestamptz,
  revoked_at           timestamptz
);

ALTER TABLE jobs ADD COLUMN key_id uuid REFERENCES api_keys(id);
CREATE INDEX jobs_by_key ON jobs (key_id, created_at DESC, id DESC) WHERE key_id IS NOT NULL;

-- Every existing row gets now() without a rewrite (a constant default); unfinished jobs are then cleared.
ALTER TABLE jobs ADD COLUMN events_recorded_at timestamptz DEFAULT now();
ALTER TABLE jobs ALTER COLUMN events_recorded_at DROP DEFAULT;
UPDATE jobs SET events_recorded_at = NULL WHERE finished_at IS NULL;
CREATE INDEX jobs_events_unrecorded ON jobs (finished_at) WHERE finished_at IS NOT NULL AND events_recorded_at IS NULL;

-- Each delivery's body carries job links with a token of its own (only its hash is kept, here).
ALTER TABLE job_tokens DROP CONSTRAINT job_tokens_purpose_check;
ALTER TABLE job_tokens ADD CONSTRAINT job_tokens_purpose_check CHECK (purpose IN ('upload', 'email', 'webhook'));

CREATE TABLE webhook_endpoints (
  id                          uuid PRIMARY KEY,
  -- The key that registered it (it hears of that key's jobs); NULL: an admin's, which hears of every job.
  key_id                      uuid REFERENCES api_keys(id),
  url                         text NOT NULL,
  events                      text[] NOT NULL,
  secret                      bytea NOT NULL,
  -- After a rotation, the previous secret still signs (a second signature) until it expires.
  previous_secret             bytea,
  previous_secret_expires_at  timestamptz,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  secret_rotated_at           timestamptz
);
CREATE INDEX webhook_endpoints_by_key ON webhook_endpoints (key_id);

CREATE TABLE webhook_deliveries (
  id               text PRIMARY KEY,
  endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  job_id           uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  event            text NOT NULL,
  body             bytea NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  -- Bumped by each redelivery: a new series of attempts (same webhook-id), a new queue job.
  generation       integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_by_job ON webhook_deliveries (job_id);

CREATE TABLE webhook_attempts (
  delivery_id  text NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
  -- 1, 2, ... over every generation of the delivery.
  attempt      integer NOT NULL,
  generation   integer NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  -- NULL until the attempt ends: an attempt without an outcome was cut short (the worker died).
  duration_ms  integer,
  status_code  integer,
  error        text,
  -- The first bytes of the receiver's answer.
  response     text,
  PRIMARY KEY (delivery_id, attempt)
);
`;
