import { open } from 'node:fs/promises';
import { BatchParser } from './batch-parser.js';
import type { ColumnTarget, RecordBatch } from './types.js';

export interface ReadBatchesOptions {
  /** Byte offset of the first record to read (a chunk's `start`, or the layout's `dataStart`). */
  start: number;
  /** Byte offset just past the last record to read (exclusive). */
  end: number;
  /** Absolute index of the record at `start` (a chunk's `firstRow`); batches and errors are numbered from it. */
  firstRow: number;
  /** The header (as CsvLayout.header): its length is the expected field count of every record. */
  header: string[];
  /** Where the cells go. */
  targets: ColumnTarget[];
  /** Records per batch (the last batch of the range may be smaller). */
  batchSize: number;
  /** Bytes per read (default 1 MiB); the block grows only for a single record larger than that. */
  highWaterMark?: number;
}

/**
 * Reads the records in the byte range [start, end) of a CSV file and yields them as RecordBatches, cells
 * coerced into typed arrays (row-major [count, columns.length] per target). A cell that cannot be coerced
 * and a record with the wrong number of fields fail their row (RecordBatch.errors), never the whole read.
 *
 * Memory: one read block (reused; a record cut by the block end is moved to its front) plus one batch.
 * Parsing is synchronous per block; the file is read with positional reads so only the range is touched.
 */
export async function* readBatches(path: string, opts: ReadBatchesOptions): AsyncGenerator<RecordBatch> {
  const parser = new BatchParser(opts.header, opts.targets, opts.batchSize);
  const { start, end } = opts;
  if (!(start >= 0 && end >= start)) throw new RangeError(`invalid byte range [${start}, ${end})`);
  const fh = await open(path, 'r');
  try {
    let block = Buffer.allocUnsafe(Math.max(opts.highWaterMark ?? 1024 * 1024, 1));
    let filled = 0;
    let p = 0;
    let filePos = start;
    let eof = end <= start;
    let rows = opts.firstRow;
    parser.begin(rows);
    for (;;) {
      if (!eof && (p >= filled || parser.needMore)) {
        // Keep the unparsed tail (a cut record), then fill the rest of the block.
        if (p > 0) {
          block.copyWithin(0, p, filled);
          filled -= p;
          p = 0;
        }
        if (filled === block.length) {
          const bigger = Buffer.allocUnsafe(block.length * 2);
          block.copy(bigger, 0, 0, filled);
          block = bigger;
        }
        const want = Math.min(block.length - filled, end - filePos);
        const { bytesRead } = await fh.read(block, filled, want, filePos);
        filled += bytesRead;
        filePos += bytesRead;
        // A file shorter than the range (truncated since the scan) ends the read where the bytes end.
        if (filePos >= end || bytesRead === 0) eof = true;
      }
      p = parser.parse(block.subarray(0, filled), p, eof);
      if (parser.count === parser.batchSize) {
        yield parser.take();
        rows += parser.count;
        parser.begin(rows);
        continue;
      }
      if (eof && !parser.needMore && p >= filled) break;
    }
    if (parser.count > 0) yield parser.take();
  } finally {
    await fh.close();
  }
}
