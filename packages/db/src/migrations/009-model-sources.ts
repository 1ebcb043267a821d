/**
 * What a model version was registered from: the format found in the uploaded file (ONNX, a scikit-learn pickle or
 * joblib file, an XGBoost JSON/UBJSON document), the library and version the file names, notes of what was
 * converted into the ONNX graph the workers run, and the uploaded file itself, byte for byte.
 * - The originals live in a table of their own, keyed by their sha256 (the same file registered twice is kept
 *   once), so listing models never reads them; `size` lets the list say how large each is without touching them.
 * - They are stored uncompressed out of line (EXTERNAL) so a download reads them piece by piece with substring().
 * - Versions registered before this migration keep format 'onnx' and have no original (only the graph was kept).
 */
export const sql = /* sql */ `
CREATE TABLE model_originals (
  sha256      text PRIMARY KEY,
  size        bigint NOT NULL CHECK (size >= 0),
  bytes       bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE model_originals ALTER COLUMN bytes SET STORAGE EXTERNAL;

ALTER TABLE models
  ADD COLUMN format           text NOT NULL DEFAULT 'onnx',
  ADD COLUMN library          text,
  ADD COLUMN library_version  text,
  ADD COLUMN converted        jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN original_sha256  text REFERENCES model_originals(sha256);
`;
