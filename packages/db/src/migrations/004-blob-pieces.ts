/** Uploads kept in PostgreSQL (BLOB_STORE=postgres), in fixed-size pieces. */
export const sql = /* sql */ `
CREATE TABLE blob_pieces (
  key    text NOT NULL,
  piece  integer NOT NULL,
  data   bytea NOT NULL,
  PRIMARY KEY (key, piece)
);
-- CSV compresses well, but compressing costs CPU on every upload and read; pieces are read by range.
ALTER TABLE blob_pieces ALTER COLUMN data SET STORAGE EXTERNAL;
`;
