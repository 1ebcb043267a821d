/**
 * Scoring while the upload arrives (docs/performance.md): a job is recorded once its header and first chunk
 * are stored, as `receiving`, with its chunks added as they are stored; at the end of the upload it becomes
 * `queued` (or `running`, when a chunk has started). Nobody is given its link before then, so no page, list
 * or count shows a receiving job. While receiving, `rows_total` and `chunk_count` count the chunks recorded
 * so far (set to the file's at the end), and `bytes` is 0 until the end. `receiving_until` is its lease,
 * renewed by the web process receiving the upload: a job whose web process died mid-upload is removed by the
 * reconciler once it has passed.
 */
export const sql = /* sql */ `
ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
  CHECK (status IN ('receiving', 'queued', 'running', 'succeeded', 'failed', 'cancelled'));
ALTER TABLE jobs ADD COLUMN receiving_until timestamptz;
CREATE INDEX jobs_receiving ON jobs (receiving_until) WHERE status = 'receiving';
`;
