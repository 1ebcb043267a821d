import type { ByteSource } from '@batchcast/csv';
import { type Cell, readJsonlRows, readParquetRows } from '@batchcast/formats';
import type { JobLayout } from '../records.js';
import type { StoredChunk } from '../uploads/stored-upload.js';
import { parquetChunkOf, parquetLayoutOf } from './parquet-layout.js';

/** One row's cells as a chunk's reader gives them: a CSV's (or workbook's) fields as text, else the format's values. */
export type RowCells = readonly (Cell | string)[];

/** How a CSV's (or workbook's, stored as CSV) records of one chunk are read into fields, block by block. */
export type CsvFieldReader = (source: ByteSource, layout: JobLayout, chunk: StoredChunk) => AsyncGenerator<string[][]>;

/**
 * The rows of one chunk as the file holds them, for what is looked up after the cells were coerced (a failed row's
 * cell texts, whether a row is empty): read forward once, and only from the first row asked (nothing is read for a
 * chunk where none is); rows are asked in ascending order. A CSV's fields by `csvFields`; a JSON value as JSON.parse
 * gives it (no column read as JSON text: a string is its own text; null or a missing key null); a Parquet value.
 */
export class ChunkRows {
  private rows: AsyncGenerator<RowCells[]> | null = null;
  private block: RowCells[] = [];
  /** Absolute row index of block[0]. */
  private blockStart: number;

  constructor(
    private readonly source: ByteSource,
    private readonly layout: JobLayout,
    private readonly chunk: StoredChunk,
    private readonly csvFields: CsvFieldReader,
  ) {
    this.blockStart = chunk.firstRow;
  }

  /** The cells of absolute row `row`; null when the chunk has no such row. */
  async row(row: number): Promise<RowCells | null> {
    this.rows ??= this.read();
    while (row >= this.blockStart + this.block.length) {
      const next = await this.rows.next();
      if (next.done) return null;
      this.blockStart += this.block.length;
      this.block = next.value;
    }
    if (row < this.blockStart) throw new RangeError(`ChunkRows: row ${row} asked after row ${this.blockStart}`);
    return this.block[row - this.blockStart]!;
  }

  /** Stops reading (closes the source). */
  async close(): Promise<void> {
    await this.rows?.return(undefined);
  }

  private read(): AsyncGenerator<RowCells[]> {
    const { source, layout, chunk } = this;
    switch (layout.format) {
      case 'csv':
      case 'xlsx':
        return this.csvFields(source, layout, chunk);
      case 'jsonl':
        return readJsonlRows(source, {
          start: chunk.start,
          end: chunk.end,
          header: layout.header,
          columnTypes: layout.header.map(() => 'string'),
        });
      case 'parquet':
        return readParquetRows(source, parquetLayoutOf(layout), parquetChunkOf(chunk));
    }
  }
}
