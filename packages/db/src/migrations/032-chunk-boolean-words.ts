/**
 * The header columns in which scoring a chunk found a cell that a number input read as a true/false word (1/0, a
 * CSV's `True`): a typed download (csvResultTypes) then reads again only those of a CSV job's number columns to type
 * them, instead of every cell of every one. NULL: not recorded (a chunk not scored yet, scored before this column,
 * or read by another reader than the CSV one), and the download reads the column as before; an empty array: none.
 */
export const sql = /* sql */ `
ALTER TABLE job_chunks ADD COLUMN boolean_word_columns int[];
`;
