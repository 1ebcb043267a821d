import type { ParquetChunk, ParquetLayout } from '@batchcast/formats';
import type { ParquetJobLayout } from '../records.js';
import type { StoredChunk } from '../uploads/stored-upload.js';

/** The formats package's ParquetLayout from what is stored with the job (chunks live in job_chunks). */
export function parquetLayoutOf(layout: ParquetJobLayout): ParquetLayout {
  return {
    header: layout.header,
    columns: layout.columns,
    rows: layout.rows,
    rowGroups: layout.rowGroups,
    chunks: [],
    bytes: layout.bytes,
    notes: layout.notes ?? [],
  };
}

/** A stored chunk as the range of rows a Parquet chunk is. */
export const parquetChunkOf = (chunk: StoredChunk): ParquetChunk => ({ index: chunk.index, firstRow: chunk.firstRow, rows: chunk.rows });
