import { type ByteSource, type ColumnTarget, type RecordBatch, readBatches } from '@batchcast/csv';
import { readJsonlBatches, readParquetBatches } from '@batchcast/formats';
import type { JobLayout } from '../records.js';
import type { StoredChunk } from '../uploads/stored-upload.js';
import { dialectOf } from './dialect.js';
import { isListRows } from './headerless.js';
import { parquetChunkOf, parquetLayoutOf } from './parquet-layout.js';

/**
 * The rows of one chunk of a stored upload, coerced into the model's inputs batch by batch, whatever the
 * format: CSV with its dialect (a workbook is stored as canonical CSV), JSON Lines by byte range, Parquet by
 * row range with typed columns going straight into the typed arrays. A cell that cannot be converted fails
 * its row only (RecordBatch.errors), the same rule for every format. The worker, the upload's preflight and
 * the benchmark all read through here.
 */
export function readInputBatches(
  source: ByteSource,
  layout: JobLayout,
  chunk: StoredChunk,
  targets: ColumnTarget[],
  batchSize: number,
): AsyncGenerator<RecordBatch> {
  // CSV (and the CSV a workbook was transcoded to) and JSON Lines chunks are byte ranges of whole records.
  const range = { start: chunk.start, end: chunk.end, firstRow: chunk.firstRow, targets, batchSize };
  switch (layout.format) {
    case 'csv':
    case 'xlsx':
      // A JSON file's lists stored as CSV (pandas' orient='values'): a row of another length is said of its list.
      return readBatches(source, {
        ...range,
        header: layout.header,
        dialect: dialectOf(layout),
        ...(isListRows(layout) ? { lists: true } : {}),
        ...(layout.headerless ? { headerless: true } : {}),
      });
    case 'jsonl':
      return readJsonlBatches(source, { ...range, header: layout.header });
    case 'parquet':
      return readParquetBatches(source, parquetLayoutOf(layout), parquetChunkOf(chunk), targets, batchSize);
  }
}
