/**
 * The line of the file where each failed row starts (CSV, TSV, JSON Lines), parallel to error_rows: what people
 * look for in an editor, where the data row number (error_rows, kept as it was) is off by the header, blank lines and
 * quoted line breaks. NULL for batches stored before it, and for formats without lines (Parquet, workbooks).
 */
export const sql = /* sql */ `
ALTER TABLE prediction_batches ADD COLUMN error_lines integer[];
`;
