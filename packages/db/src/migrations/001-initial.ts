/** The first schema: models, jobs, their chunks and the predictions. */
export const sql = /* sql */ `
CREATE TABLE models (
  id            bigserial PRIMARY KEY,
  name          text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  version       integer NOT NULL CHECK (version > 0),
  sha256        text NOT NULL,
  -- The bytes workers run (after any graph rewrite at registration), so every host scores with the same file.
  onnx          bytea NOT NULL,
  schema        jsonb NOT NULL,
  description   text NOT NULL DEFAULT '',
  source_file   text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (name, version)
);

CREATE TABLE jobs (
  id              uuid PRIMARY KEY,
  model_id        bigint NOT NULL REFERENCES models(id),
  status          text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  email           text,
  filename        text NOT NULL,
  upload_key      text NOT NULL,
  bytes           bigint NOT NULL,
  -- What the upload scan learned (header, bom, newline, dataStart) and how columns feed the model.
  layout          jsonb NOT NULL,
  targets         jsonb NOT NULL,
  rows_total      bigint NOT NULL,
  rows_processed  bigint NOT NULL DEFAULT 0,
  rows_failed     bigint NOT NULL DEFAULT 0,
  chunk_count     integer NOT NULL,
  error           text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  finished_at     timestamptz,
  notified_at     timestamptz
);
-- sha256 of each access token of a job: the one returned at upload, and one per email sent (an email
-- link needs a token, and only hashes are ever stored). Tokens themselves are never stored.
CREATE TABLE job_tokens (
  job_id      uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  token_hash  bytea NOT NULL,
  purpose     text NOT NULL CHECK (purpose IN ('upload', 'email')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, token_hash)
);

CREATE INDEX jobs_unfinished ON jobs (created_at) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_unnotified ON jobs (finished_at) WHERE notified_at IS NULL AND email IS NOT NULL AND finished_at IS NOT NULL;
CREATE INDEX jobs_finished_at ON jobs (finished_at);

CREATE TABLE job_chunks (
  job_id      uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  index       integer NOT NULL,
  start_byte  bigint NOT NULL,
  end_byte    bigint NOT NULL,
  first_row   bigint NOT NULL,
  rows        integer NOT NULL,
  done        boolean NOT NULL DEFAULT false,
  processed   integer NOT NULL DEFAULT 0,
  failed      integer NOT NULL DEFAULT 0,
  attempts    integer NOT NULL DEFAULT 0,
  error       text,
  finished_at timestamptz,
  PRIMARY KEY (job_id, index)
);

-- Predictions are stored per batch of consecutive rows (a few thousand), as typed arrays, not one table row
-- per input row: COPYing a million rows costs PostgreSQL ~2 s of CPU on a 2-core machine, a thousandth of
-- that as arrays, and the arrays are still queryable with unnest(). No foreign key: rows go with their job.
CREATE TABLE prediction_batches (
  job_id          uuid NOT NULL,
  first_row       bigint NOT NULL,
  row_count       integer NOT NULL,
  -- Classifiers: the label of each row ('' for a failed row) and row-major [row_count, classes] probabilities.
  labels          text[],
  probabilities   real[],
  -- Regressors: the value of each row (NaN for a failed row).
  "values"        real[],
  -- Failed rows (offsets within the batch) and why.
  error_rows      integer[] NOT NULL,
  error_messages  text[] NOT NULL,
  PRIMARY KEY (job_id, first_row)
);
-- Already compact binary floats: compressing them would cost CPU on every write for little gain.
ALTER TABLE prediction_batches ALTER COLUMN probabilities SET STORAGE EXTERNAL, ALTER COLUMN "values" SET STORAGE EXTERNAL;
`;
