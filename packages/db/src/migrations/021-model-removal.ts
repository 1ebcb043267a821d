/**
 * Removing a model version is a retire, not a delete: jobs name their version by id (jobs.model_id) and must
 * finish with it, and version numbers are never given out twice (links and jobs name them), so the row stays.
 * - `removed_at`: when an admin removed the version; it is then out of every list, `name` (latest) and
 *   `DEFAULT_MODEL` resolution, new jobs and real-time predictions.
 * - `files_deleted_at`: when the retention sweep deleted its ONNX graph (hence `onnx` may now be NULL) and let
 *   go of its original upload, once no job referred to it any more.
 * - jobs(model_id): the sweep asks, per removed version, whether a job still uses it.
 */
export const sql = /* sql */ `
ALTER TABLE models
  ADD COLUMN removed_at        timestamptz,
  ADD COLUMN files_deleted_at  timestamptz,
  ALTER COLUMN onnx DROP NOT NULL,
  ADD CONSTRAINT models_files_of_removed_only CHECK (files_deleted_at IS NULL OR removed_at IS NOT NULL),
  ADD CONSTRAINT models_onnx_until_deleted CHECK (onnx IS NOT NULL OR files_deleted_at IS NOT NULL);
CREATE INDEX jobs_by_model ON jobs (model_id);
`;
