/**
 * A results download under way holds its job back from retention: one row per download, whose `until` is a
 * lease the web process renews while it streams the results and removes at the end. The retention sweep
 * leaves a job alone while one of its holds has not passed (a web process that died leaves a hold that
 * passes by itself). Without it, a job that reached its retention time mid-download lost its predictions and
 * upload under the reader, and the download was cut off.
 */
export const sql = /* sql */ `
CREATE TABLE job_downloads (
  id uuid PRIMARY KEY,
  job_id uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  until timestamptz NOT NULL
);
CREATE INDEX job_downloads_job ON job_downloads (job_id);
`;
