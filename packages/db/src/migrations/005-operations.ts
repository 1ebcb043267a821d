/**
 * What the people who run batchcast need: scheduled batch runs, and metrics that survive restarts and
 * cover every worker process on every host.
 *
 * Schedules live here (the source of truth); BullMQ job schedulers are only their timers, re-created by the
 * reconciler when Redis loses them. Each run's job is recorded in schedule_runs (deleted with the job by
 * the retention sweep).
 *
 * Metrics: counters and histograms are kept by PostgreSQL, not in process memory, so a scrape of any web
 * process sees the totals of all workers, and a restart or a retention sweep never makes a counter go back.
 * - Rows scored / failed: a trigger adds a chunk's counts the moment it is marked done (exactly once per
 *   chunk: storeChunkPredictions flips `done` once, in the chunk's own transaction).
 * - End-to-end job duration (created_at to finished_at): a trigger observes it when a job ends (finishJob
 *   sets finished_at once, whoever ends the job: finaliser, cancel, a scheduled run that could not start).
 * - Inference duration per ONNX Runtime batch: workers add a chunk's observations with batchcast_observe().
 * A histogram is one row per (metric, label) holding per-bucket counts (not cumulative; the scrape sums
 * them), so an observation is one single-row upsert and concurrent writers cannot deadlock.
 */
export const sql = /* sql */ `
CREATE TABLE schedules (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  -- An absolute file path the workers can read, or an http(s) URL.
  source      text NOT NULL,
  -- A model name (its latest version at each run) or name@version.
  model       text NOT NULL,
  -- Cron pattern (5 fields, or 6 with seconds first) and optional IANA time zone.
  cron        text NOT NULL,
  timezone    text,
  email       text NOT NULL,
  attempts    integer NOT NULL DEFAULT 3 CHECK (attempts BETWEEN 1 AND 10),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE schedule_runs (
  job_id         uuid PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
  -- No foreign key: the runs of a deleted schedule stay with their jobs.
  schedule_name  text NOT NULL,
  -- The BullMQ job id of the run (repeat:<name>:<timestamp>); the job id is derived from it.
  run_key        text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedule_runs_by_schedule ON schedule_runs (schedule_name, created_at DESC);

CREATE TABLE metric_totals (
  id           boolean PRIMARY KEY DEFAULT true CHECK (id),
  rows_scored  bigint NOT NULL,
  rows_failed  bigint NOT NULL
);
INSERT INTO metric_totals (rows_scored, rows_failed)
SELECT coalesce(sum(processed - failed), 0), coalesce(sum(failed), 0) FROM job_chunks WHERE done;

CREATE FUNCTION batchcast_count_chunk_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE metric_totals SET rows_scored = rows_scored + NEW.processed - NEW.failed, rows_failed = rows_failed + NEW.failed;
  RETURN NULL;
END $$;
CREATE TRIGGER job_chunks_count_rows AFTER UPDATE OF done ON job_chunks
  FOR EACH ROW WHEN (NOT OLD.done AND NEW.done) EXECUTE FUNCTION batchcast_count_chunk_rows();

-- Upper bounds (seconds) of each histogram's buckets; a last +Inf bucket is implied.
CREATE TABLE metric_histogram_bounds (
  metric  text PRIMARY KEY,
  bounds  double precision[] NOT NULL
);
INSERT INTO metric_histogram_bounds VALUES
  ('inference_duration_seconds', '{0.001,0.0025,0.005,0.01,0.025,0.05,0.1,0.25,0.5,1,2.5,5,10}'),
  ('job_duration_seconds', '{0.5,1,2.5,5,10,30,60,120,300,600,1800,3600,7200,21600,86400}');

CREATE TABLE metric_histograms (
  metric   text NOT NULL REFERENCES metric_histogram_bounds(metric),
  label    text NOT NULL,
  -- Observations per bucket (value <= bound, above the previous bound); one more than the bounds (+Inf).
  buckets  bigint[] NOT NULL,
  sum      double precision NOT NULL,
  count    bigint NOT NULL,
  PRIMARY KEY (metric, label)
);

CREATE FUNCTION batchcast_observe(p_metric text, p_label text, p_values double precision[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  b double precision[];
  add bigint[];
  v double precision;
  i integer;
BEGIN
  IF coalesce(cardinality(p_values), 0) = 0 THEN RETURN; END IF;
  SELECT bounds INTO b FROM metric_histogram_bounds WHERE metric = p_metric;
  IF b IS NULL THEN RAISE EXCEPTION 'no histogram named %', p_metric; END IF;
  add := array_fill(0::bigint, ARRAY[cardinality(b) + 1]);
  FOREACH v IN ARRAY p_values LOOP
    i := 1;
    WHILE i <= cardinality(b) AND v > b[i] LOOP i := i + 1; END LOOP;
    add[i] := add[i] + 1;
  END LOOP;
  INSERT INTO metric_histograms AS h (metric, label, buckets, sum, count)
  VALUES (p_metric, p_label, add, (SELECT coalesce(sum(x), 0) FROM unnest(p_values) x), cardinality(p_values))
  ON CONFLICT (metric, label) DO UPDATE SET
    buckets = (SELECT array_agg(coalesce(o, 0) + coalesce(n, 0) ORDER BY k) FROM unnest(h.buckets, EXCLUDED.buckets) WITH ORDINALITY AS t(o, n, k)),
    sum = h.sum + EXCLUDED.sum,
    count = h.count + EXCLUDED.count;
END $$;

CREATE FUNCTION batchcast_observe_job_duration() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM batchcast_observe('job_duration_seconds', NEW.status, ARRAY[extract(epoch FROM NEW.finished_at - NEW.created_at)::double precision]);
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_observe_duration AFTER UPDATE OF finished_at ON jobs
  FOR EACH ROW WHEN (OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL) EXECUTE FUNCTION batchcast_observe_job_duration();
-- A job can also be born ended (a scheduled run that could not start is recorded as failed at once).
CREATE TRIGGER jobs_observe_duration_born_ended AFTER INSERT ON jobs
  FOR EACH ROW WHEN (NEW.finished_at IS NOT NULL) EXECUTE FUNCTION batchcast_observe_job_duration();
`;
