/**
 * The line of the file where a chunk starts, as the upload's scan counted it: the lines of a chunk's failed rows are
 * then counted from the chunk's own bytes, not from the start of the file. NULL for a job's first chunk (just past its
 * header: few bytes to count), for formats without lines, and for chunks stored before it.
 */
export const sql = /* sql */ `
ALTER TABLE job_chunks ADD COLUMN start_line bigint;
`;
