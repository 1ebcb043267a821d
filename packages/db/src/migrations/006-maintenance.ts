/**
 * Housekeeping that every host runs under an advisory lock (reconciler, retention sweep) records each pass
 * here: operators and tests see that a pass happened and what it did, without reading logs or sleeping.
 * Blob pieces get a creation time, so the retention sweep can remove uploads left over by a crash
 * mid-upload with BLOB_STORE=postgres, as it already did for files.
 */
export const sql = /* sql */ `
CREATE TABLE maintenance_passes (
  name              text PRIMARY KEY,
  passes            bigint NOT NULL DEFAULT 0,
  last_finished_at  timestamptz,
  last_result       jsonb
);
ALTER TABLE blob_pieces ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
`;
