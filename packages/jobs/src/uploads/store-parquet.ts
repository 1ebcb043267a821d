import { parquetLayout } from '@batchcast/formats';
import type { FormatStep, StoredUpload } from './stored-upload.js';

/**
 * Parquet, stored as it came (its index is the footer, at the end: nothing can be learned while it streams),
 * then its footer read by range: columns and types, row groups, and chunks of rows (not bytes).
 */
export async function storeParquet(step: FormatStep): Promise<StoredUpload> {
  const size = await step.blobs.write(step.key, step.content);
  const scanned = await parquetLayout(() => step.blobs.open(step.key), { chunkRows: step.chunkRows, size });
  return {
    key: step.key,
    size,
    rows: scanned.rows,
    // A Parquet chunk is a range of rows; job_chunks' byte range is not used for it.
    chunks: scanned.chunks.map((c) => ({ index: c.index, start: 0, end: 0, firstRow: c.firstRow, rows: c.rows })),
    layout: {
      format: 'parquet',
      header: scanned.header,
      columns: scanned.columns,
      rows: scanned.rows,
      rowGroups: scanned.rowGroups,
      bytes: scanned.bytes,
      ...(scanned.notes.length > 0 ? { notes: scanned.notes } : {}),
      ...(step.compression ? { compression: step.compression } : {}),
    },
  };
}
